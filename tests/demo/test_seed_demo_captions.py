"""The demo's captions: Ada's recorded Space has a transcript on its replay's timeline,
its replay shows captions, its clip carries its part, and the directory finds it."""

from io import StringIO

import pytest
from django.core.management import call_command

from captions.models import CaptionSegment
from captions.selectors import transcript
from recordings.models import Clip
from rooms.models import Space


@pytest.mark.django_db(transaction=True)  # each step commits, as under `make run`
def test_seed_demo_leaves_adas_space_with_a_transcript(client):
    err = StringIO()
    call_command("seed_demo", stdout=StringIO(), stderr=err)
    assert "skipped" not in err.getvalue()

    space = Space.objects.get(host__handle="ada", record=True)
    lines = transcript(space)
    assert [(line.handle, round(line.offset, 1)) for line in lines] == [
        ("ada", 0.3),
        ("grace", 3.7),
        ("ada", 6.1),
    ]
    assert CaptionSegment.objects.filter(space=space).count() == 3
    assert "replay-captions-data" in client.get(space.get_absolute_url()).content.decode()
    clip = Clip.objects.get(recording__space=space)
    assert "A computer a century" in client.get(clip.get_absolute_url()).content.decode()
    found = client.get("/spaces/", {"q": "Jacquard"}).content.decode()
    assert f"{space.get_absolute_url()}?t=6.1#replay" in found
