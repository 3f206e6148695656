"""A recorded Space in browsers: REC for everyone, the notice before going on stage, and
the host deleting the recording once it ended."""

import re
import threading

import pytest
from playwright.sync_api import expect

from tests.browser.people import signed_in_page
from tests.factories import UserFactory
from tests.recordings.conftest import write_hls

pytestmark = pytest.mark.browser


def _fail(recording_fail, space_id):
    from django.db import connection

    try:
        recording_fail(space_id=space_id, reason="No space left on device")
    finally:
        connection.close()


def test_a_recorded_space_from_rec_to_a_deleted_recording(browser, daphne_server, celery_worker):
    host = signed_in_page(browser, daphne_server, UserFactory(handle="rita", display_name="Rita"))
    listener = signed_in_page(browser, daphne_server, UserFactory(handle="leo", display_name="Leo"))

    host.goto("/spaces/new/")
    host.get_by_label("Title").fill("On the record")
    host.get_by_label("Record this Space").check()
    host.get_by_role("button", name="Go live now").click()
    expect(host).to_have_url(re.compile(r"/s/\w+/$"))
    expect(host.locator("#connection-status")).to_have_text("Connected")
    link = host.url

    listener.goto(link)
    expect(listener.locator("#connection-status")).to_have_text("Connected")
    rec = listener.get_by_role("img", name="This Space is being recorded")
    expect(rec).to_be_visible()
    expect(rec).to_have_text("REC")
    expect(host.get_by_role("img", name="This Space is being recorded")).to_be_visible()

    # Invited to the stage, the listener is told before accepting that it is recorded.
    seat = host.locator("#listeners .listener", has_text="Leo")
    seat.get_by_title("Actions for Leo").click()
    seat.get_by_role("button", name="Invite to speak").click()
    prompt = listener.get_by_role("alertdialog")
    expect(prompt).to_be_visible()
    expect(
        prompt.get_by_text("This Space is recorded: what you say will be kept in the replay.")
    ).to_be_visible()
    expect(prompt.get_by_role("button", name="Join the stage")).to_be_visible()

    # The storage fails for a while: the host's page says so, the Space goes on.
    from recordings.services import recording_fail
    from rooms.models import Space

    space = Space.objects.get(title="On the record")
    # In a thread of its own: Playwright's event loop runs on this one, and the service
    # sends the room event with async_to_sync.
    worker = threading.Thread(target=_fail, args=(recording_fail, space.pk))
    worker.start()
    worker.join()
    expect(host.get_by_role("alert").filter(has_text="The recording failed")).to_be_visible()
    expect(listener.locator("#recording-failed")).to_be_hidden()
    host.reload()  # the snapshot says so too, not only the event
    expect(host.get_by_role("alert").filter(has_text="The recording failed")).to_be_visible()
    expect(listener.locator("#connection-status")).to_have_text("Connected")

    # What the egress wrote, then the end.
    write_hls(space.pk)
    host.locator("#end-space").click()
    host.get_by_role("dialog").get_by_role("button", name="End this Space for everyone").click()
    expect(host.locator("#space-over")).to_be_visible()
    expect(listener.get_by_role("img", name="This Space is being recorded")).to_be_hidden()

    host.goto(link)
    expect(host.get_by_role("link", name="Download the recording")).to_be_visible()
    host.get_by_role("button", name="Delete the recording").click()
    host.get_by_role("dialog").get_by_role("button", name="Delete the recording").click()
    expect(host.locator("#recording-state")).to_have_text("The recording was deleted.")
    expect(host.get_by_role("link", name="Download the recording")).to_be_hidden()
    expect(host.get_by_role("button", name="Delete the recording")).to_be_hidden()
