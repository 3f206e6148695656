"""The notification models move here from scheduling (issue 10), keeping their tables
and rows: this migration only adds them to notifications' state, on the tables that
scheduling made (scheduling 0007 drops them from scheduling's state, in step)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("rooms", "0001_initial"),
        ("scheduling", "0006_notification_not_held"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("reminder", "Reminder"), ("host_soon", "Your Space starts soon"), ("live", "Live now"), ("changed", "Space changed"), ("cancelled", "Space cancelled"), ("not_held", "Space not held")], max_length=10)),
                ("text", models.CharField(max_length=300)),
                ("url", models.CharField(blank=True, max_length=200)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("read_at", models.DateTimeField(blank=True, null=True)),
                ("space", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="rooms.space")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "db_table": "scheduling_notification",
                "indexes": [models.Index(fields=["user", "-created_at"], name="scheduling__user_id_630c19_idx"), models.Index(condition=models.Q(("read_at__isnull", True)), fields=["user"], name="unread")],
                "constraints": [models.UniqueConstraint(condition=models.Q(("kind", "live")), fields=("user", "space"), name="one_live_alert")],
            },
        ),
        migrations.CreateModel(
            name="NotificationSettings",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("in_app", models.BooleanField(default=True, verbose_name="in the app (the bell, live)")),
                ("email", models.BooleanField(default=True, verbose_name="by email")),
                ("push", models.BooleanField(default=True, verbose_name="by push notification")),
                ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="notification_settings", to=settings.AUTH_USER_MODEL)),
            ],
            options={"db_table": "scheduling_notificationsettings"},
        ),
        migrations.CreateModel(
            name="EmailOutbox",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("retry_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_error", models.CharField(blank=True, max_length=300)),
                ("notification", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="email", to="notifications.notification")),
            ],
            options={
                "db_table": "scheduling_emailoutbox",
                "indexes": [models.Index(condition=models.Q(("sent_at__isnull", True)), fields=["retry_at"], name="email_due")],
            },
        ),
        migrations.CreateModel(
            name="PushSubscription",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("endpoint", models.URLField(max_length=500, unique=True)),
                ("p256dh", models.CharField(max_length=100)),
                ("auth", models.CharField(max_length=40)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="push_subscriptions", to=settings.AUTH_USER_MODEL)),
            ],
            options={"db_table": "scheduling_pushsubscription"},
        ),
        migrations.CreateModel(
            name="PushOutbox",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("retry_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_error", models.CharField(blank=True, max_length=300)),
                ("notification", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="notifications.notification")),
                ("subscription", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="outbox", to="notifications.pushsubscription")),
            ],
            options={
                "db_table": "scheduling_pushoutbox",
                "indexes": [models.Index(condition=models.Q(("sent_at__isnull", True)), fields=["retry_at"], name="push_due")],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(database_operations=[], state_operations=state_operations)
    ]
