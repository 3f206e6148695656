"""The tables taken over from scheduling get notifications' own names (rows, keys and
foreign keys follow: Django renames them on PostgreSQL and SQLite alike).

On PostgreSQL the primary keys, foreign-key constraints, their indexes and the id
sequences keep their scheduling_* names: Django finds them by introspection, so nothing
depends on them, and a migrated database differs from a fresh one only in those names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("scheduling", "0007_notifications_move_out"),
    ]

    operations = [
        migrations.AlterModelTable(name="notification", table=None),
        migrations.AlterModelTable(name="notificationsettings", table=None),
        migrations.AlterModelTable(name="emailoutbox", table=None),
        migrations.AlterModelTable(name="pushsubscription", table=None),
        migrations.AlterModelTable(name="pushoutbox", table=None),
        # The index name Django gives the model under its new table name.
        migrations.RenameIndex(
            model_name="notification",
            new_name="notificatio_user_id_05b4bc_idx",
            old_name="scheduling__user_id_630c19_idx",
        ),
    ]
