from pathlib import Path

import polib
from django.conf import settings


def test_the_italian_catalogue_is_complete():
    catalogue = polib.pofile(str(Path(settings.BASE_DIR) / "locale/it/LC_MESSAGES/django.po"))

    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_the_browser_language_picks_italian_for_anonymous_visitors(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9")

    assert '<html lang="it">' in response.text
    assert "Crea un account" in response.text


def test_a_signed_in_persons_choice_beats_the_browser(alice_client, alice):
    alice.language = "en"
    alice.save()

    response = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="it")

    assert '<html lang="en">' in response.text
