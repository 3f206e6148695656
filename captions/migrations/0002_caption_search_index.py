"""The directory's search of what was said: a GIN index over the phrases' words, on
PostgreSQL only (SQLite searches by `icontains`, with no index to make). Its expression is
the one captions.selectors searches with, SearchVector("text", config="simple"), so that
the planner uses it."""

from django.db import migrations

INDEX = "captions_segment_text_search"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON captions_captionsegment "
        "USING gin (to_tsvector('simple'::regconfig, COALESCE(text, '')))"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("captions", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
