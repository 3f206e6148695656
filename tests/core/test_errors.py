"""The site's own error pages: styled like the site, with a way back home; JSON for the API."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory

from core import views

HOME_LINK = '<a class="button" href="/">Go to the home page</a>'


def test_a_missing_page_is_the_sites_404(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert '<h1 class="page-title" id="error-title">This page does not exist</h1>' in (
        response.text
    )
    assert HOME_LINK in response.text
    assert 'class="topbar"' in response.text  # the site's header: base.html


def test_a_newcomer_in_debug_sees_the_404_page_not_djangos(client, db, settings):
    settings.DEBUG = True

    unrouted = client.get("/no-such-page/")
    missing_tweet = client.get("/tweets/123456/")

    for response in (unrouted, missing_tweet):
        assert response.status_code == 404
        assert "This page does not exist" in response.text
        assert "Using the URLconf" not in response.text
        assert "DEBUG = True" not in response.text


def test_a_missing_slash_still_redirects_in_debug(client, db, settings):
    settings.DEBUG = True

    response = client.get("/spaces")

    assert (response.status_code, response.headers["Location"]) == (301, "/spaces/")


def test_a_real_exception_in_debug_still_shows_the_traceback(client, db, settings, monkeypatch):
    settings.DEBUG = True
    client.raise_request_exception = False

    def broken():
        raise RuntimeError("the health check broke")

    monkeypatch.setattr(views, "run_checks", broken)

    response = client.get("/healthz")

    assert response.status_code == 500
    assert "RuntimeError" in response.text
    assert "the health check broke" in response.text


def test_the_api_answers_a_missing_route_in_json(client, db, settings):
    settings.DEBUG = True

    response = client.get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_form_without_its_csrf_token_gets_the_expired_form_page(alice, db):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    response = browser.post("/tweets/", {"text": "hi"})

    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "Allow cookies for this site" in response.text  # no CSRF cookie was sent
    assert HOME_LINK in response.text


def test_a_refusal_is_the_sites_403_page(db):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/spaces/x/manage/")
    request.user = AnonymousUser()

    response = views.permission_denied(request, PermissionDenied())

    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()
    assert 'href="/accounts/login/?next=/spaces/x/manage/"' in response.content.decode()


def test_a_bad_request_is_the_sites_400_page(client, db):
    response = client.get("/", HTTP_HOST="not-allowed.example")

    assert response.status_code == 400
    assert "Spaces could not understand this request" in response.text
    assert HOME_LINK in response.text


@pytest.mark.django_db(databases=[])
def test_the_500_page_renders_with_no_request_context_and_no_database():
    # No `db` fixture: any query here would fail the test.
    response = views.server_error(RequestFactory().get("/s/abc/"))

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert HOME_LINK in page
    assert "/static/css/base.css" in page
