"""The captions API: the same services as the pages."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from captions.services import captions_set
from captions.transcript_api import urlpatterns as transcript_urlpatterns
from captions.views import captions_state
from rooms.selectors import space_get


class CaptionsInput(serializers.Serializer):
    enabled = serializers.BooleanField(required=False, help_text="Unchanged when left out.")
    # The service checks it, with the same message as the page's switch.
    language = serializers.CharField(
        required=False, max_length=16, help_text="en or it; unchanged when left out."
    )


class CaptionsOutput(serializers.Serializer):
    enabled = serializers.BooleanField()
    language = serializers.CharField()
    available = serializers.BooleanField(
        help_text="Whether this site's speech models can caption this language."
    )


class CaptionsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CaptionsInput, responses=CaptionsOutput)
    def patch(self, request, code):
        """Turn the Space's live captions on or off, or change their language (host or
        co-host, while the Space is live or scheduled)."""
        data = CaptionsInput(data=request.data)
        data.is_valid(raise_exception=True)
        space = space_get(code)
        captions_set(
            space=space,
            actor=request.user,
            enabled=data.validated_data.get("enabled", space.captions),
            language=data.validated_data.get("language"),
        )
        return Response(CaptionsOutput(captions_state(space)).data)


urlpatterns = [
    # The host's switch (live), and the transcript (captions/transcript_api.py).
    path("spaces/<str:code>/captions/", CaptionsApi.as_view(), name="api-space-captions"),
    *transcript_urlpatterns,
]
