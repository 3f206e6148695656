import pytest
from django.urls import reverse

from accounts.models import Follow, User
from accounts.services import block_create, follow_create
from tests.factories import TweetFactory
from tests.images import image_upload

HTMX = {"HTTP_HX_REQUEST": "true"}


def _signup(client, handle, email="new@example.com"):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "username": handle,
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )


def test_it_signs_up_and_lands_on_the_home_timeline(client, db):
    response = _signup(client, "Ada_L")

    assert response.headers["Location"] == "/"
    assert User.objects.get().handle == "Ada_L"
    home = client.get("/")
    assert "What is happening?" in home.text


def test_it_refuses_a_handle_that_differs_only_in_case(client, alice):
    response = _signup(client, "ALICE")

    assert "That handle is taken." in response.text
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("handle", "message"),
    [
        ("bad handle!", "A handle may contain only letters, digits and underscores."),
        ("admin", "This handle is reserved."),
        ("a" * 16, "Ensure this value has at most 15 characters (it has 16)."),
    ],
)
def test_it_refuses_invalid_handles(client, db, handle, message):
    response = _signup(client, handle)

    assert message in response.text
    assert User.objects.count() == 0


def test_it_signs_in_with_email_and_password(client, alice, password):
    response = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": password}
    )

    assert response.headers["Location"] == "/"
    assert client.get("/").context["user"] == alice


def test_password_reset_sends_an_email(client, alice, mailoutbox):
    client.post(reverse("account_reset_password"), {"email": "alice@example.com"})

    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_it_follows_with_htmx_and_shows_unfollow(alice_client, alice, bob):
    response = alice_client.post("/@bob/follow/", **HTMX)

    assert Follow.objects.filter(follower=alice, followee=bob).exists()
    assert "Unfollow" in response.text


def test_following_oneself_shows_the_reason(alice_client, alice):
    response = alice_client.post("/@alice/follow/", follow=True)

    assert "You cannot follow yourself." in response.text
    assert Follow.objects.count() == 0


def test_following_someone_who_blocked_you_shows_the_reason(alice_client, alice, bob):
    block_create(blocker=bob, blocked=alice)

    response = alice_client.post("/@bob/follow/", **HTMX)

    assert response.status_code == 400
    assert "You cannot follow @bob." in response.text
    assert Follow.objects.count() == 0


def test_follow_needs_a_signed_in_person(client, bob):
    response = client.post("/@bob/follow/")

    assert response.headers["Location"].startswith("/accounts/login/")
    assert Follow.objects.count() == 0


def test_blocking_hides_their_tweets_everywhere(alice_client, alice, bob, outsider):
    follow_create(follower=alice, followee=bob)
    mine = TweetFactory(author=alice, text="Alice's thought")
    TweetFactory(author=bob, text="Bob replies", reply_to=mine)
    TweetFactory(author=outsider, text="Outsider replies", reply_to=mine)

    alice_client.post("/@bob/block/", **HTMX)

    assert "Bob replies" not in alice_client.get("/").text
    assert "Bob replies" not in alice_client.get(mine.get_absolute_url()).text
    assert "Outsider replies" in alice_client.get(mine.get_absolute_url()).text
    profile = alice_client.get("/@bob/").text
    assert "You blocked @bob." in profile
    assert "Tweets from this account are hidden." in profile


def test_followers_and_following_lists(client, alice, bob, outsider):
    follow_create(follower=alice, followee=bob)
    follow_create(follower=outsider, followee=bob)

    followers = client.get("/@bob/followers/")
    following = client.get("/@alice/following/")

    assert [p.handle for p in followers.context["people"]] == ["outsider", "alice"]
    assert [p.handle for p in following.context["people"]] == ["bob"]


def test_it_edits_the_profile_with_an_avatar(alice_client, alice):
    response = alice_client.post(
        "/settings/profile/",
        {"display_name": "Alice Liddell", "bio": "Down the rabbit hole", "avatar": image_upload()},
        follow=True,
    )

    assert "Your profile is saved." in response.text
    alice.refresh_from_db()
    assert alice.display_name == "Alice Liddell"
    assert alice.avatar.url in response.text


def test_a_file_that_is_not_an_image_gets_a_form_error(alice_client, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = alice_client.post(
        "/settings/profile/",
        {
            "display_name": "Changed",
            "bio": "",
            "avatar": SimpleUploadedFile("x.png", b"%PDF-1.4", content_type="image/png"),
        },
    )

    assert "This file is not an image we can read." in response.text
    alice.refresh_from_db()
    assert (alice.display_name, alice.avatar.name) == ("Alice", "")


def test_switching_to_italian_is_remembered_on_the_account(alice_client, alice):
    response = alice_client.post(
        "/settings/language/", {"language": "it", "next": "/@alice/"}, follow=True
    )

    alice.refresh_from_db()
    assert alice.language == "it"
    assert '<html lang="it">' in response.text
    assert "Profilo" in response.text


def test_switching_language_refuses_a_foreign_next_url(client, db):
    response = client.post(
        "/settings/language/", {"language": "it", "next": "https://evil.example/"}
    )

    assert response.headers["Location"] == "/"


def test_anonymous_visitors_see_the_welcome_page(client, db):
    response = client.get("/")

    assert "Create an account" in response.text
