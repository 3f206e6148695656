"""Notifications, their settings, outboxes and push subscriptions moved to the
notifications app (issue 10): drop them from scheduling's state only. The tables and
their rows stay; notifications 0001 took them over."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_notification_not_held"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="PushOutbox"),
                migrations.DeleteModel(name="EmailOutbox"),
                migrations.DeleteModel(name="PushSubscription"),
                migrations.DeleteModel(name="NotificationSettings"),
                migrations.DeleteModel(name="Notification"),
            ],
        )
    ]
