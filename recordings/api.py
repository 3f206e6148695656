"""REST API for recordings: the same services and access rules as the pages."""

from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorOutput
from recordings import selectors, services
from recordings.access import (
    access_clip,
    access_host_recording,
    access_managed_clip,
    access_space_recording,
)
from recordings.models import Clip, Recording
from rooms.api import PinOutput  # the same pins as the live room's
from rooms.selectors import space_get


class RecordingOutput(serializers.Serializer):
    state = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    duration = serializers.FloatField(help_text="Seconds in the files.")
    trim_start = serializers.FloatField(help_text="Seconds cut from the start of the replay.")
    expires_at = serializers.DateTimeField(allow_null=True)
    playlist_url = serializers.SerializerMethodField(
        help_text="The HLS playlist of the replay, while it may be played."
    )

    def get_playlist_url(self, recording: Recording) -> str | None:
        if not recording.playable:
            return None
        return reverse("recordings:file", args=[recording.pk, "index.m3u8"])


class TrimInput(serializers.Serializer):
    trim_start = serializers.FloatField(min_value=0)


class RecordingApi(APIView):
    def get_permissions(self):
        if self.request.method in ("PATCH", "DELETE"):
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(responses=RecordingOutput)
    def get(self, request, code):
        """A Space's recording: its host sees it in any state, anyone else while it plays."""
        recording = access_space_recording(space=space_get(code), user=request.user)
        return Response(RecordingOutput(recording).data)

    @extend_schema(request=TrimInput, responses=RecordingOutput)
    def patch(self, request, code):
        """Edit the start time (host only): 0 ≤ trim_start < duration."""
        data = TrimInput(data=request.data)
        data.is_valid(raise_exception=True)
        recording = access_host_recording(space=space_get(code), user=request.user)
        recording = services.recording_trim(
            recording=recording, actor=request.user, start=data.validated_data["trim_start"]
        )
        return Response(RecordingOutput(recording).data)

    @extend_schema(request=None, responses=RecordingOutput)
    def delete(self, request, code):
        """Delete the recording now (host only): files and state."""
        recording = access_host_recording(space=space_get(code), user=request.user)
        recording = services.recording_delete(recording=recording, actor=request.user)
        return Response(RecordingOutput(recording).data)


# Replay (issue 11, item 6) -----------------------------------------------------------------


class SpeakerLaneOutput(serializers.Serializer):
    participant_id = serializers.IntegerField()
    handle = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    avatar = serializers.CharField(allow_null=True)
    turns = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text="[start, end] offsets in seconds, in order.",
    )


class ReactionBatchOutput(serializers.Serializer):
    offset = serializers.FloatField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="{emoji: n}")
    reactors = serializers.DictField(
        child=serializers.CharField(), help_text="{participant id: emoji}, people on stage."
    )


class PinsChangeOutput(serializers.Serializer):
    offset = serializers.FloatField()
    pins = PinOutput(many=True, help_text="The pinned tweets from this offset on.")


class ReplayOutput(serializers.Serializer):
    """Offsets are seconds on the recording's own timeline: 0 is its first sample, not
    moved by the trim."""

    duration = serializers.FloatField()
    trim_start = serializers.FloatField()
    playlist_start = serializers.FloatField(
        help_text="The offset of time 0 of the served playlist (the trim drops whole segments)."
    )
    playlist_url = serializers.CharField()
    waveform = serializers.ListField(
        child=serializers.FloatField(), help_text="Peaks 0 to 1, evenly over the duration."
    )
    speakers = SpeakerLaneOutput(many=True)
    reactions = ReactionBatchOutput(many=True)
    pins = PinsChangeOutput(many=True)
    plays = serializers.IntegerField()


class ReplayApi(APIView):
    @extend_schema(responses={200: ReplayOutput, 404: ErrorOutput})
    def get(self, request, code):
        """A Space's replay data: anyone who may play its recording (the same rules)."""
        space = space_get(code)
        try:
            recording = access_space_recording(space=space, user=request.user)
        except Http404:
            if not space.record:
                raise NotFound(_("This Space was not recorded."), code="not_recorded") from None
            raise NotFound(_("This Space has no replay."), code="no_replay") from None
        refusal = recording.unplayable_reason()
        if refusal is not None:  # its host sees why
            reason, why = refusal
            raise NotFound(reason, code=why)
        return Response(ReplayOutput(selectors.replay_data(recording, request.user)).data)


# Clips (issue 11) ---------------------------------------------------------------------------


class ClipOutput(serializers.Serializer):
    code = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The clip's page.")
    audio_url = serializers.SerializerMethodField(help_text="The clip's MP4 (Opus).")
    card_url = serializers.SerializerMethodField(help_text="Its link-preview image.")
    space = serializers.CharField(source="recording.space.code", help_text="The Space's code.")
    creator = serializers.SerializerMethodField(
        help_text="Its creator's handle; null if they left, or a block is between you."
    )
    start = serializers.FloatField(help_text="Seconds on the recording's timeline.")
    duration = serializers.FloatField(help_text="Seconds, at most 30.")
    title = serializers.CharField()
    live = serializers.BooleanField(help_text="Cut from the live Space.")
    kept = serializers.BooleanField(help_text="Kept by the host past the recording's expiry.")
    state = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_url(self, clip: Clip) -> str:
        return clip.get_absolute_url()

    def get_creator(self, clip: Clip) -> str | None:
        viewer = self.context["request"].user
        if clip.creator is None or selectors.clip_creator_hidden(clip, viewer):
            return None
        return clip.creator.handle

    def get_audio_url(self, clip: Clip) -> str:
        return reverse("recordings:clip-audio", args=[clip.code])

    def get_card_url(self, clip: Clip) -> str:
        return reverse("recordings:clip-card", args=[clip.code])


class ClipInput(serializers.Serializer):
    live = serializers.BooleanField(
        default=False, help_text="Clip the last 30 seconds of the live Space."
    )
    start = serializers.FloatField(required=False, help_text="Seconds on the recording.")
    duration = serializers.FloatField(required=False, help_text="Seconds, more than 0, ≤ 30.")
    title = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")

    def validate(self, data):
        if not data["live"] and ("start" not in data or "duration" not in data):
            raise serializers.ValidationError(
                {"start": _("Give a start and a duration, or live.")}, code="required"
            )
        return data


class KeepInput(serializers.Serializer):
    kept = serializers.BooleanField()


class SpaceClipsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ClipInput, responses={201: ClipOutput})
    def post(self, request, code):
        """Cut a clip: {start, duration} of the replay, or {live: true} for the last 30
        seconds of the live Space."""
        data = ClipInput(data=request.data)
        data.is_valid(raise_exception=True)
        space = space_get(code)
        values = data.validated_data
        if values["live"]:
            clip = services.clip_create_live(space=space, actor=request.user, title=values["title"])
        else:
            clip = services.clip_create(
                space=space,
                actor=request.user,
                start=values["start"],
                duration=values["duration"],
                title=values["title"],
            )
        return Response(ClipOutput(clip, context={"request": request}).data, status=201)


class ClipApi(APIView):
    def get_permissions(self):
        if self.request.method in ("PATCH", "DELETE"):
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(responses=ClipOutput)
    def get(self, request, code):
        """A clip, to anyone who may play it."""
        return Response(
            ClipOutput(access_clip(code=code, user=request.user), context={"request": request}).data
        )

    @extend_schema(request=KeepInput, responses=ClipOutput)
    def patch(self, request, code):
        """Keep the clip past its recording's expiry, or not (host only)."""
        data = KeepInput(data=request.data)
        data.is_valid(raise_exception=True)
        clip = services.clip_keep(
            clip=access_managed_clip(code=code, user=request.user),
            actor=request.user,
            kept=data.validated_data["kept"],
        )
        return Response(ClipOutput(clip, context={"request": request}).data)

    @extend_schema(request=None, responses=ClipOutput)
    def delete(self, request, code):
        """Delete the clip (its host or its creator)."""
        clip = services.clip_delete(
            clip=access_managed_clip(code=code, user=request.user), actor=request.user
        )
        return Response(ClipOutput(clip, context={"request": request}).data)


urlpatterns = [
    path("spaces/<str:code>/recording/", RecordingApi.as_view(), name="api-space-recording"),
    path("spaces/<str:code>/replay/", ReplayApi.as_view(), name="api-space-replay"),
    path("spaces/<str:code>/clips/", SpaceClipsApi.as_view(), name="api-space-clips"),
    path("clips/<str:code>/", ClipApi.as_view(), name="api-clip"),
]
