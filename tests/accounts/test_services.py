import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Block, Follow
from accounts.services import (
    block_create,
    block_delete,
    follow_create,
    follow_delete,
    profile_update,
)
from tests.images import bomb_upload, image_upload


def test_it_follows_once(alice, bob):
    follow_create(follower=alice, followee=bob)
    follow_create(follower=alice, followee=bob)

    assert list(Follow.objects.values_list("follower__handle", "followee__handle")) == [
        ("alice", "bob")
    ]


def test_it_refuses_to_follow_oneself(alice):
    with pytest.raises(ValidationError) as error:
        follow_create(follower=alice, followee=alice)

    assert error.value.messages == ["You cannot follow yourself."]
    assert Follow.objects.count() == 0


def test_it_refuses_to_follow_someone_who_blocked_you(alice, bob):
    block_create(blocker=bob, blocked=alice)

    with pytest.raises(ValidationError) as error:
        follow_create(follower=alice, followee=bob)

    assert error.value.messages == ["You cannot follow @bob."]
    assert Follow.objects.count() == 0


def test_it_unfollows(alice, bob, alice_follows_bob):
    follow_delete(follower=alice, followee=bob)

    assert Follow.objects.count() == 0


def test_blocking_removes_follows_both_ways(alice, bob, outsider):
    follow_create(follower=alice, followee=bob)
    follow_create(follower=bob, followee=alice)
    follow_create(follower=outsider, followee=alice)

    block_create(blocker=alice, blocked=bob)

    assert list(Follow.objects.values_list("follower__handle", "followee__handle")) == [
        ("outsider", "alice")
    ]
    assert list(Block.objects.values_list("blocker__handle", "blocked__handle")) == [
        ("alice", "bob")
    ]


def test_unblocking_lets_them_follow_again(alice, bob):
    block_create(blocker=alice, blocked=bob)
    block_delete(blocker=alice, blocked=bob)

    follow_create(follower=bob, followee=alice)

    assert Follow.objects.filter(follower=bob, followee=alice).exists()


def test_it_saves_a_profile_with_a_reencoded_square_avatar(alice):
    profile_update(
        user=alice,
        display_name="  Alice L.  ",
        bio="Hi",
        avatar=image_upload(size=(300, 120)),
    )

    alice.refresh_from_db()
    assert alice.display_name == "Alice L."
    with Image.open(alice.avatar.path) as stored:
        assert (stored.format, stored.size) == ("JPEG", (400, 400))


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda: SimpleUploadedFile("notes.png", b"not an image", content_type="image/png"),
            "This file is not an image we can read.",
        ),
        (bomb_upload, "The image has too many pixels: at most 4096 × 4096."),
    ],
    ids=["not-an-image", "decompression-bomb"],
)
def test_it_refuses_bad_avatars_and_changes_nothing(alice, upload, message):
    with pytest.raises(ValidationError) as error:
        profile_update(user=alice, display_name="Changed", bio="", avatar=upload())

    assert error.value.messages == [message]
    alice.refresh_from_db()
    assert (alice.display_name, alice.avatar.name) == ("Alice", "")


def test_it_refuses_an_avatar_over_the_size_limit(alice, settings):
    settings.AVATAR_MAX_BYTES = 1024

    with pytest.raises(ValidationError) as error:
        profile_update(user=alice, display_name="", bio="", avatar=image_upload(size=(400, 400)))

    assert error.value.messages == ["The image is too large: at most 1.0\xa0KB."]
