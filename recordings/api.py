"""REST API for recordings: the same services and access rules as the pages."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from recordings import services
from recordings.access import access_host_recording, access_space_recording
from recordings.clip_access import access_clip
from recordings.models import Clip, Recording
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


urlpatterns = [
    path("spaces/<str:code>/recording/", RecordingApi.as_view(), name="api-space-recording"),
]


# Clips (issue 11) ---------------------------------------------------------------------------


class ClipOutput(serializers.Serializer):
    code = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The clip's page.")
    audio_url = serializers.SerializerMethodField(help_text="The clip's MP4 (Opus).")
    card_url = serializers.SerializerMethodField(help_text="Its link-preview image.")
    space = serializers.CharField(source="recording.space.code", help_text="The Space's code.")
    creator = serializers.CharField(source="creator.handle", allow_null=True, default=None)
    start = serializers.FloatField(help_text="Seconds on the recording's timeline.")
    duration = serializers.FloatField(help_text="Seconds, at most 30.")
    title = serializers.CharField()
    live = serializers.BooleanField(help_text="Cut from the live Space.")
    kept = serializers.BooleanField(help_text="Kept by the host past the recording's expiry.")
    state = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_url(self, clip: Clip) -> str:
        return clip.get_absolute_url()

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
        return Response(ClipOutput(clip).data, status=201)


class ClipApi(APIView):
    def get_permissions(self):
        if self.request.method in ("PATCH", "DELETE"):
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(responses=ClipOutput)
    def get(self, request, code):
        """A clip, to anyone who may play it."""
        return Response(ClipOutput(access_clip(code=code, user=request.user)).data)

    @extend_schema(request=KeepInput, responses=ClipOutput)
    def patch(self, request, code):
        """Keep the clip past its recording's expiry, or not (host only)."""
        data = KeepInput(data=request.data)
        data.is_valid(raise_exception=True)
        clip = services.clip_keep(
            clip=access_clip(code=code, user=request.user),
            actor=request.user,
            kept=data.validated_data["kept"],
        )
        return Response(ClipOutput(clip).data)

    @extend_schema(request=None, responses=ClipOutput)
    def delete(self, request, code):
        """Delete the clip (its host or its creator)."""
        clip = services.clip_delete(
            clip=access_clip(code=code, user=request.user), actor=request.user
        )
        return Response(ClipOutput(clip).data)


urlpatterns += [
    path("spaces/<str:code>/clips/", SpaceClipsApi.as_view(), name="api-space-clips"),
    path("clips/<str:code>/", ClipApi.as_view(), name="api-clip"),
]
