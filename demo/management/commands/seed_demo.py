"""Demo data for a first look: people, a brand, follows, tweets, an upcoming Space, and an
ended Space with a short recording (a few seconds of tones, written by the real egress).

Idempotent, and robust to anything people did with the demo since (`make run` seeds on
every start): a demo person is created only when missing, and only the people created now
get the demo's follows, tweets and Space. Whatever the others changed (blocks, unfollows,
new handles, emails or passwords, deleted accounts) is left as they made it.
"""

import fractions
import threading
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import av
import numpy as np
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import follow_create
from captions.services import caption_segment_add
from mediaserver.egress import hls as egress_hls
from mediaserver.egress.hls import HlsEgress
from recordings import services as recordings
from recordings.models import Recording, ReplayEvent
from rooms import services as rooms
from rooms.models import Participant, Space
from scheduling import services as scheduling
from timeline.models import Tweet

DEMO_PASSWORD = "spaces-demo-2026"

PEOPLE = [
    # handle, display name, bio, is_brand
    ("ada", "Ada Lovelace", "Poet of numbers. Hosts #AnalyticalEngine Spaces on Fridays.", False),
    ("grace", "Grace Hopper", "Debugging since 1947. Ask me about compilers.", False),
    ("linus", "Linus", "Kernel, diving, and strong opinions.", False),
    ("marta", "Marta Rossi", "Podcaster in Milan. Musica, tecnologia e caffè.", False),
    ("acme", "Acme Coffee", "Roasters of fine beans. We sponsor creators' Spaces.", True),
]
FOLLOWS = [
    ("ada", "grace"),
    ("ada", "marta"),
    ("grace", "ada"),
    ("grace", "linus"),
    ("linus", "ada"),
    ("marta", "ada"),
    ("marta", "acme"),
    ("acme", "marta"),
]
TWEETS = [
    ("grace", 'The most dangerous phrase in the language is "we\'ve always done it this way".'),
    ("ada", "Hosting a Space on the Analytical Engine this Friday. Bring questions! @grace"),
    (
        "marta",
        "Buongiorno! Who is up for a Space about Italian podcasts? https://example.com/podcast",
    ),
    ("linus", "Talk is cheap. Show me the code."),
    ("acme", "New single origin from Huila is in. Our next sponsored Space is with @marta."),
]

# What a step may meet when people changed the demo: refused by a rule, or a name taken.
REFUSED = (ValidationError, PermissionDenied, IntegrityError)


def email_of(handle: str) -> str:
    return f"{handle}@example.com"


class Command(BaseCommand):
    help = "Create the demo people, follows and tweets when missing; print the demo sign-ins."

    def handle(self, *args, **options):
        people, created = self._seed()
        if "ada" in people and "ada" in created:
            self._recorded_space(people["ada"], guest=people.get("grace"))
            self._clip_tweeted(people)
        self._sign_ins(people)

    @transaction.atomic
    def _seed(self) -> tuple[dict[str, User], set[str]]:
        people, created = self._people()
        for follower, followee in FOLLOWS:
            if (follower in created or followee in created) and {follower, followee} <= set(people):
                self._try(follow_create, follower=people[follower], followee=people[followee])
        for handle, text in TWEETS:
            if handle in created:
                Tweet.objects.create(author=people[handle], text=text)
        if "grace" in created:
            self._scheduled_space(people)
        return people, created

    def _people(self) -> tuple[dict[str, User], set[str]]:
        """Each demo person as they are now (found by email, else handle), or created."""
        people, created = {}, set()
        for handle, name, bio, is_brand in PEOPLE:
            user = (
                User.objects.filter(email__iexact=email_of(handle)).first()
                or User.objects.filter(handle__iexact=handle).first()
            )
            if user is None:
                user = self._try(
                    User.objects.create_user,
                    handle,
                    email_of(handle),
                    DEMO_PASSWORD,
                    display_name=name,
                    bio=bio,
                    is_brand=is_brand,
                )
                if user is not None:
                    created.add(handle)
            if user is not None:
                people[handle] = user
        return people, created

    def _try(self, step, *args, **kwargs):
        """Run one step in a savepoint; a step that people's changes refuse is skipped."""
        try:
            with transaction.atomic():
                return step(*args, **kwargs)
        except REFUSED as exc:
            self.stderr.write(f"Demo data: skipped a step ({exc.__class__.__name__}: {exc})")
            return None

    def _sign_ins(self, people: dict[str, User]) -> None:
        """Print only the sign-ins that still work: a person may have changed theirs."""
        working = [
            user
            for user in people.values()
            if user.is_active and user.check_password(DEMO_PASSWORD)
        ]
        if not working:
            self.stdout.write("The demo sign-ins were changed: sign up for an account of your own.")
            return
        self.stdout.write("Demo sign-ins (email / password):")
        for user in working:
            self.stdout.write(f"  {user.email} / {DEMO_PASSWORD}")

    def _scheduled_space(self, people):
        """An upcoming Space to set reminders for: Grace's, tomorrow; Marta has one set."""
        space = self._try(
            scheduling.space_schedule,
            host=people["grace"],
            title="Compilers, explained",
            topics=["compilers", "history"],
            starts_at=timezone.now().replace(second=0, microsecond=0) + timedelta(days=1),
        )
        if space is not None and "marta" in people:
            self._try(scheduling.reminder_set, space=space, user=people["marta"])

    def _recorded_space(self, host: User, guest: User | None = None) -> None:
        """An ended, recorded Space of Ada's with its recording: it goes live, the egress
        writes eight seconds of tones as the media server would, and it ends. Each step
        commits, as in a real Space, so the recording's receivers see what they expect.
        Its replay has a timeline: Ada and Grace take turns, reactions, a pinned tweet."""
        space = self._try(
            rooms.space_create,
            host=host,
            title="The Analytical Engine, recorded",
            topics=["history", "computing"],
            record=True,
            captions=True,
        )
        if space is None:
            return
        wall_start = timezone.now().timestamp() + 0.5
        _in_thread(_write_tones, space.pk, wall_start)
        self._try(self._replay_timeline, space, host, guest, wall_start)
        self._try(self._captions, space, wall_start)
        self._try(rooms.space_end, space=space, actor=host)

    def _clip_tweeted(self, people) -> None:
        """Clips (issue 11): Grace clips the chime of Ada's recorded Space and tweets its
        link, so the home timeline shows a clip card and /c/<code>/ plays."""
        space = Space.objects.filter(host=people["ada"], record=True).order_by("-pk").first()
        if space is None or "grace" not in people:
            return
        # Under `make run` the worker measures the recording later: measure it now (safe
        # to run twice), a clip needs its length; and draw its waveform, so that the replay
        # shows one even before the worker is up.
        recording = Recording.objects.filter(space=space, duration=0).first()
        if recording is not None:
            self._try(recordings.recording_measure, recording_id=recording.pk)
            self._try(recordings.recording_waveform, recording_id=recording.pk)
        clip = self._try(
            recordings.clip_create,
            space=space,
            actor=people["grace"],
            start=1.0,
            duration=5.0,
            title="Ada's chime",
        )
        if clip is not None:
            link = settings.SITE_URL.rstrip("/") + clip.get_absolute_url()
            Tweet.objects.create(author=people["grace"], text=f"Ada's chime, clipped: {link}")

    def _replay_timeline(self, space, host: User, guest: User | None, wall_start: float):
        """What the replay shows beside the chimes, noted as the live Space would have:
        who spoke when, reactions, a pinned tweet (at offsets into the recording)."""
        ada = rooms.space_join(space=space, user=host)
        seats = {"ada": ada}
        if guest is not None:
            grace = rooms.space_join(space=space, user=guest)
            rooms.hand_raise(participant=grace)
            seats["grace"] = rooms.request_approve(space=space, actor=host, participant_id=grace.pk)
        for offset, who in TURNS:
            speaking = [seats[handle].pk for handle in who if handle in seats]
            recordings.replay_speaking_note(
                space_id=space.pk, speaking=speaking, at=_moment(wall_start + offset)
            )
        for offset, counts, reactor in REACTIONS:
            reactors = {seats[reactor].pk: next(iter(counts))} if reactor in seats else {}
            recordings.replay_reactions_note(
                space_id=space.pk, counts=counts, reactors=reactors, at=wall_start + offset
            )
        tweet = Tweet.objects.filter(author=host).order_by("pk").first()
        if tweet is not None:
            rooms.pin_add(space=space, actor=host, tweet_id=tweet.pk)
            pinned = ReplayEvent.objects.filter(recording__space=space, kind="pins").latest("pk")
            ReplayEvent.objects.filter(pk=pinned.pk).update(at=_moment(wall_start + PIN_AT))

    def _captions(self, space, wall_start: float) -> None:
        """What the captions worker would have stored (issue 12): a phrase per turn, so
        that the replay shows captions, the transcript has them and search finds them."""
        seats = {
            seat.user.handle: seat
            for seat in Participant.objects.filter(space=space).select_related("user")
            if seat.user is not None
        }
        for number, (start, end, handle, text) in enumerate(CAPTIONS):
            if handle in seats:
                caption_segment_add(
                    space_id=space.pk,
                    participant_id=seats[handle].pk,
                    key=f"demo-{number}",
                    text=text,
                    started_at=_moment(wall_start + start),
                    ended_at=_moment(wall_start + end),
                    language="en",
                )


RATE, FRAME = 48000, 960  # Opus: 48 kHz, 20 ms packets
# The replay's timeline, in seconds into the recording: who speaks from then on,
# reactions (with who on stage reacted), when Ada's tweet was pinned.
TURNS = [(0.2, ["ada"]), (3.4, []), (3.6, ["grace"]), (5.8, []), (6.0, ["ada", "grace"]), (7.8, [])]
REACTIONS = [(2.0, {"👏": 3}, "grace"), (4.5, {"😂": 4}, "ada"), (7.0, {"❤️": 2}, None)]
PIN_AT = 1.0
# Its captions, in seconds into the recording: who said what, along the turns above.
CAPTIONS = [
    (0.3, 3.3, "ada", "Welcome! Tonight: the Analytical Engine, and the notes I wrote on it."),
    (3.7, 5.7, "grace", "A computer a century before anyone could build one."),
    (6.1, 7.7, "ada", "It weaves algebraic patterns, as the Jacquard loom weaves flowers."),
]


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def tone_packets(seconds: float) -> list[bytes]:
    """A rising three-note chime every second, encoded by libopus as the mixer would."""
    codec = av.CodecContext.create("libopus", "w")
    codec.bit_rate, codec.format, codec.layout = 32000, "s16", "mono"
    codec.sample_rate, codec.time_base = RATE, fractions.Fraction(1, RATE)
    t = np.arange(int(seconds * RATE)) / RATE
    note = np.choose(((t % 1.0) * 3).astype(int).clip(0, 2), [440.0, 554.37, 659.25])
    envelope = np.exp(-((t % (1 / 3)) * 6))
    samples = (6000 * envelope * np.sin(2 * np.pi * note * t)).astype(np.int16)
    packets = []
    for index in range(len(samples) // FRAME):
        frame = av.AudioFrame.from_ndarray(
            samples[index * FRAME : (index + 1) * FRAME].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts = RATE, index * FRAME
        packets += [bytes(packet) for packet in codec.encode(frame)]
    packets += [bytes(packet) for packet in codec.encode(None)]
    return packets[: len(samples) // FRAME]


def _in_thread(function, *args) -> None:
    """Run an async function to its end from any caller, even one inside an event loop
    (a test's browser); the receivers it triggers use this thread's database connection,
    which is closed at the end."""

    def run():
        try:
            async_to_sync(function)(*args)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="demo-egress")
    thread.start()
    thread.join()


class _AudioClock:
    """The egress module's `time` while the demo writes: its wall clock runs as the audio
    does (8 seconds written in a moment), so that each segment's PROGRAM-DATE-TIME is
    where the replay's timeline needs it."""

    def __init__(self, start: float):
        self.now = start

    def __getattr__(self, name):
        return getattr(time, name)

    def time(self) -> float:
        return self.now


async def _write_tones(space_id: int, wall_start: float, seconds: float = 8.0) -> None:
    clock = _AudioClock(wall_start)
    egress = HlsEgress(space_id)
    with mock.patch.object(egress_hls, "time", clock):
        egress.start()
        for index, payload in enumerate(tone_packets(seconds)):
            clock.now = wall_start + index * FRAME / RATE
            egress.feed(payload, index * FRAME)
    await egress.close(ended=True)
