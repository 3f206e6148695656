"""The transcript in the API: an ended Space's phrases, with their speakers and their
offsets on the replay's timeline (the same selector as the transcript page)."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from captions import access, selectors


class TranscriptSpeakerOutput(serializers.Serializer):
    handle = serializers.CharField(help_text="Empty once the account is gone.")
    name = serializers.CharField(help_text="The name they had on stage.")


class TranscriptSegmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    speaker = TranscriptSpeakerOutput()
    text = serializers.CharField()
    started_at = serializers.DateTimeField()
    offset = serializers.FloatField(
        help_text="Seconds on the recording's timeline (0 = its first sample), as the "
        "replay's offsets; from the Space's start when it has no recording."
    )
    end = serializers.FloatField()


class TranscriptOutput(serializers.Serializer):
    space = serializers.CharField()
    segments = TranscriptSegmentOutput(many=True)


class TranscriptApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=TranscriptOutput)
    def get(self, request, code):
        """An ended Space's transcript: who said what, when, on its replay's timeline."""
        # The same rule as the page (captions.access): a 404 with the reason otherwise.
        anon_id = "" if request.user.is_authenticated else request.session.get("anon_id", "")
        try:
            found = access.access_transcript(code=code, user=request.user, anon_id=anon_id)
        except access.NoTranscript as exc:
            raise NotFound(str(exc)) from exc
        space = found.space
        lines = selectors.transcript(space, found.recording)
        if not lines:
            raise NotFound("This Space has no transcript: nothing was captioned in it.")
        segments = [
            {
                "id": line.id,
                "speaker": {"handle": line.handle, "name": line.speaker},
                "text": line.text,
                "started_at": line.started_at,
                "offset": line.offset,
                "end": line.end,
            }
            for line in lines
        ]
        return Response(TranscriptOutput({"space": space.code, "segments": segments}).data)


urlpatterns = [
    path("spaces/<str:code>/transcript/", TranscriptApi.as_view(), name="api-transcript"),
]
