"""The moved models' content types follow them to "notifications", so that the
permissions granted on them (and admin history) stay attached."""

from django.db import migrations

MODELS = ["notification", "notificationsettings", "emailoutbox", "pushsubscription", "pushoutbox"]


def _move(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        moving = ContentType.objects.filter(app_label=old, model=model).first()
        if moving is None:
            continue  # a database never migrated with contenttypes: nothing to move
        # One made meanwhile under the new label (post_migrate) holds no grants yet: the
        # old one, with its permissions, takes its place.
        ContentType.objects.filter(app_label=new, model=model).delete()
        moving.app_label = new
        moving.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _move(apps, "scheduling", "notifications")


def backwards(apps, schema_editor):
    _move(apps, "notifications", "scheduling")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("notifications", "0002_notifications_tables"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
