"""The demo's clip: Grace's clip of Ada's recorded Space, tweeted, with its card."""

from io import StringIO

import pytest
from django.core.management import call_command

from mediaserver.egress import storage
from recordings.models import Clip
from timeline.models import Tweet


@pytest.mark.django_db(transaction=True)  # each step commits, as under `make run`
def test_seed_demo_leaves_a_clip_of_adas_space_tweeted_by_grace(client, settings):
    settings.SITE_URL = "http://localhost:8000"
    for _ in range(2):
        err = StringIO()
        call_command("seed_demo", stdout=StringIO(), stderr=err)
        assert "skipped" not in err.getvalue()

    [clip] = Clip.objects.all()
    assert (clip.creator.handle, clip.recording.space.host.handle) == ("grace", "ada")
    assert (clip.title, clip.duration, storage().exists(clip.path)) == ("Ada's chime", 5.0, True)
    [tweet] = Tweet.objects.filter(text__contains="/c/")
    assert tweet.text == f"Ada's chime, clipped: http://localhost:8000/c/{clip.code}/"
    client.force_login(clip.creator)
    assert 'class="clip-card"' in client.get("/").content.decode()
