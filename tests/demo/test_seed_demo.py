from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Block, Follow, User
from accounts.services import block_create, follow_delete
from recordings import files
from recordings.models import Recording
from recordings.selectors import replay_data
from rooms.models import Space
from timeline.models import Tweet


def _seed() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_seed_demo_is_idempotent_and_prints_the_sign_ins(db):
    out, _err = _seed()
    counts = (User.objects.count(), Follow.objects.count(), Tweet.objects.count())
    _seed()

    assert counts == (5, 8, 6)  # the 6th: Grace tweets her clip of Ada's recorded Space
    assert (User.objects.count(), Follow.objects.count(), Tweet.objects.count()) == counts
    assert User.objects.get(handle="acme").is_brand
    assert Space.objects.filter(host__handle="grace", title="Compilers, explained").count() == 1
    assert "ada@example.com / spaces-demo-2026" in out


def test_seed_demo_runs_after_people_changed_the_demo_and_keeps_their_changes(db):
    _seed()
    ada, grace, marta, acme = (
        User.objects.get(handle=h) for h in ("ada", "grace", "marta", "acme")
    )
    # What people did with the demo: blocks both ways, an unfollow, a new handle and
    # password, a deleted account.
    block_create(blocker=ada, blocked=grace)
    block_create(blocker=grace, blocked=ada)
    block_create(blocker=acme, blocked=marta)
    follow_delete(follower=marta, followee=ada)
    marta.handle = "marta_r"
    marta.set_password("a-password-of-her-own")
    marta.save()
    User.objects.get(handle="linus").delete()

    out, _err = _seed()
    out_again, _err = _seed()

    # Linus is back, with his follows where no block stands in the way.
    linus = User.objects.get(handle="linus")
    assert set(
        Follow.objects.filter(follower=linus).values_list("followee__handle", flat=True)
    ) == {"ada"}
    assert Follow.objects.filter(follower=grace, followee=linus).exists()
    # Nothing that people changed is undone, and no one is duplicated.
    assert Block.objects.count() == 3
    assert not Follow.objects.filter(follower=ada, followee=grace).exists()
    assert not Follow.objects.filter(follower=marta, followee=ada).exists()
    assert User.objects.filter(handle__iexact="marta").count() == 0
    assert User.objects.count() == 5
    # Only the sign-ins that still work are printed.
    assert out == out_again
    assert "linus@example.com / spaces-demo-2026" in out
    assert "ada@example.com / spaces-demo-2026" in out
    assert "marta" not in out


def test_seed_demo_whose_every_sign_in_changed_says_so(db):
    _seed()
    for user in User.objects.all():
        user.set_password("changed-by-its-owner")
        user.save()

    out, _err = _seed()

    assert out.strip() == "The demo sign-ins were changed: sign up for an account of your own."


@pytest.mark.django_db(transaction=True)  # each step commits, as under `make run`
def test_seed_demo_leaves_an_ended_space_with_a_recording_to_replay():
    _seed()
    _seed()

    [recording] = Recording.objects.filter(space__host__handle="ada")
    assert (recording.space.title, recording.space.state, recording.state) == (
        "The Analytical Engine, recorded",
        "ended",
        "ready",
    )
    assert recording.duration == pytest.approx(8.0, abs=0.05)
    assert files.playlist_read(recording.prefix).ended is True


@pytest.mark.django_db(transaction=True)
def test_seed_demo_gives_the_replay_a_timeline():
    _seed()

    recording = Recording.objects.get(space__host__handle="ada")
    data = replay_data(recording)
    # Within a millisecond: PROGRAM-DATE-TIME has milliseconds.
    lanes = {
        lane["name"]: [at for turn in lane["turns"] for at in turn] for lane in data["speakers"]
    }
    assert list(lanes) == ["Ada Lovelace", "Grace Hopper"]
    assert lanes["Ada Lovelace"] == pytest.approx([0.2, 3.4, 6.0, 7.8], abs=0.002)
    assert lanes["Grace Hopper"] == pytest.approx([3.6, 5.8, 6.0, 7.8], abs=0.002)
    assert [r["counts"] for r in data["reactions"]] == [{"👏": 3}, {"😂": 4}, {"❤️": 2}]
    assert [r["offset"] for r in data["reactions"]] == pytest.approx([2.0, 4.5, 7.0], abs=0.002)
    assert [[t["handle"] for t in p["pins"]] for p in data["pins"]] == [[], ["ada"]]
    assert [p["offset"] for p in data["pins"]] == pytest.approx([0.0, 1.0], abs=0.002)
    assert len(data["waveform"]) == 80
    assert max(data["waveform"]) > 0.1
