from io import StringIO

from django.core.management import call_command

from accounts.models import Follow, User
from timeline.models import Tweet


def test_seed_demo_is_idempotent_and_prints_the_sign_ins(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (User.objects.count(), Follow.objects.count(), Tweet.objects.count())
    call_command("seed_demo", stdout=StringIO())

    assert counts == (5, 8, 5)
    assert (User.objects.count(), Follow.objects.count(), Tweet.objects.count()) == counts
    assert User.objects.get(handle="acme").is_brand
    assert "ada@example.com / spaces-demo-2026" in out.getvalue()
