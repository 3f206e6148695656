"""REST API for recordings: the same services and access rules as the pages."""

from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from recordings import services
from recordings.access import access_host_recording, access_space_recording
from recordings.models import Recording
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
