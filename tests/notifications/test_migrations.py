"""The notification models moved from scheduling to notifications (issue 10) with every
row: a database holding one row of each, migrated across the move, keeps them all."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from notifications.models import (
    EmailOutbox,
    Notification,
    NotificationSettings,
    PushOutbox,
    PushSubscription,
)

# Everything from notifications' first migration on undone: scheduling owns the models.
BEFORE = [("notifications", None), ("scheduling", "0006_notification_not_held")]
AT = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)


def _migrate(targets=None):
    """Migrate to `targets` (the latest migrations without), and return the state there."""
    executor = MigrationExecutor(connection)
    state = executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return state.apps


def _rows_before_the_move(apps) -> dict:
    """One row of each moved model, and the rows they point to, through the models as
    they were; plus a permission on the old content type."""
    User = apps.get_model("accounts", "User")
    Space = apps.get_model("rooms", "Space")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    old = apps.get_model("scheduling", "Notification")

    fan = User.objects.create(handle="fan", email="fan@example.com", password="!")
    host = User.objects.create(handle="host", email="host@example.com", password="!")
    space = Space.objects.create(code="movedcode", title="Moved", host=host)
    notification = old.objects.create(
        user=fan,
        kind="cancelled",
        text="“Moved” was cancelled.",
        url="/s/movedcode/",
        space=space,
        created_at=AT,
    )
    settings = apps.get_model("scheduling", "NotificationSettings").objects.create(
        user=fan, in_app=True, email=False, push=True
    )
    email = apps.get_model("scheduling", "EmailOutbox").objects.create(
        notification=notification, attempts=2, retry_at=AT, last_error="SMTP is down"
    )
    subscription = apps.get_model("scheduling", "PushSubscription").objects.create(
        user=fan, endpoint="https://push.example.com/fan", p256dh="key", auth="secret"
    )
    push = apps.get_model("scheduling", "PushOutbox").objects.create(
        notification=notification, subscription=subscription, sent_at=AT
    )
    content_type, _created = ContentType.objects.get_or_create(
        app_label="scheduling", model="notification"
    )
    permission = Permission.objects.create(
        content_type=content_type, codename="see_notification_moved", name="Can see"
    )
    return {
        "fan": fan.pk,
        "space": space.pk,
        "notification": notification.pk,
        "settings": settings.pk,
        "email": email.pk,
        "subscription": subscription.pk,
        "push": push.pk,
        "permission": permission.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_every_row_of_the_moved_models_is_kept_and_permissions_follow():
    try:
        ids = _rows_before_the_move(_migrate(BEFORE))
    finally:
        _migrate()  # the latest state, for the tests that follow, whatever happened

    notification = Notification.objects.get(pk=ids["notification"])
    assert (
        notification.user_id,
        notification.kind,
        notification.text,
        notification.url,
        notification.space_id,
        notification.created_at,
        notification.read_at,
    ) == (
        ids["fan"],
        "cancelled",
        "“Moved” was cancelled.",
        "/s/movedcode/",
        ids["space"],
        AT,
        None,
    )
    settings = NotificationSettings.objects.get(pk=ids["settings"])
    assert (settings.user_id, settings.in_app, settings.email, settings.push) == (
        ids["fan"],
        True,
        False,
        True,
    )
    email = EmailOutbox.objects.get(pk=ids["email"])
    assert (email.notification_id, email.attempts, email.retry_at, email.last_error) == (
        ids["notification"],
        2,
        AT,
        "SMTP is down",
    )
    subscription = PushSubscription.objects.get(pk=ids["subscription"])
    assert (
        subscription.user_id,
        subscription.endpoint,
        subscription.p256dh,
        subscription.auth,
    ) == (
        ids["fan"],
        "https://push.example.com/fan",
        "key",
        "secret",
    )
    push = PushOutbox.objects.get(pk=ids["push"])
    assert (push.notification_id, push.subscription_id, push.sent_at) == (
        ids["notification"],
        ids["subscription"],
        AT,
    )
    # The relations work both ways through the new models.
    assert notification.email == email
    assert list(subscription.outbox.all()) == [push]
    # The content types moved too, so permissions granted on the models still hold.
    permission = Permission.objects.select_related("content_type").get(pk=ids["permission"])
    assert permission.content_type.model_class() is Notification
