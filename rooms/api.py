"""REST API for Spaces: the same services as the pages and the room's WebSocket."""

from django.conf import settings
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import RowIdField
from rooms import selectors, services
from rooms.access import access_my_seat
from rooms.identity import browser_identity
from rooms.models import Space


class SpaceOutput(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    host = serializers.CharField(source="host.handle")
    topics = serializers.SerializerMethodField()
    speak_policy = serializers.CharField()
    record = serializers.BooleanField()
    captions = serializers.BooleanField()
    scheduled_for = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    listener_count = serializers.IntegerField(required=False)
    url = serializers.CharField(source="get_absolute_url")

    def get_topics(self, space) -> list[str]:
        return [topic.name for topic in space.topics.all()]


class ParticipantOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    handle = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    avatar = serializers.CharField(allow_null=True)
    url = serializers.CharField(allow_null=True)
    muted = serializers.BooleanField()
    muted_by_host = serializers.BooleanField()
    hand_raised = serializers.BooleanField()
    invited = serializers.BooleanField()
    listed = serializers.BooleanField()


class PinOutput(serializers.Serializer):
    tweet_id = serializers.IntegerField()
    text = serializers.CharField()
    handle = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField()


class CountsOutput(serializers.Serializer):
    total = serializers.IntegerField()
    listed = serializers.IntegerField()


class CaptionsSettingsOutput(serializers.Serializer):
    enabled = serializers.BooleanField()
    language = serializers.CharField()


class SnapshotOutput(serializers.Serializer):
    """The room as the snapshot endpoint and the WebSocket's first frame describe it."""

    seq = serializers.IntegerField()
    code = serializers.CharField()
    state = serializers.CharField()
    title = serializers.CharField()
    speak_policy = serializers.CharField()
    recorded = serializers.BooleanField(help_text="The host records this Space (a REC badge).")
    recording_failed = serializers.BooleanField(
        help_text="The recording could not be written; the Space goes on."
    )
    ending_in = serializers.IntegerField(
        allow_null=True, help_text="Seconds until a Space whose host is away ends by itself."
    )
    captions = CaptionsSettingsOutput(
        help_text="The Space's live captions: on, and in which language."
    )
    stage = ParticipantOutput(many=True)
    hands = ParticipantOutput(many=True)
    listeners = ParticipantOutput(many=True)
    counts = CountsOutput()
    pins = PinOutput(many=True)
    me = ParticipantOutput(allow_null=True)


class DirectoryOutput(serializers.Serializer):
    live = SpaceOutput(many=True)
    upcoming = SpaceOutput(many=True)


class SpaceInput(serializers.Serializer):
    # Title length and topic count are the service's to check, with its messages.
    title = serializers.CharField(max_length=500)
    topics = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    speak_policy = serializers.ChoiceField(Space.SpeakPolicy.choices, required=False)
    record = serializers.BooleanField(required=False)
    captions = serializers.BooleanField(required=False)
    captions_language = serializers.ChoiceField(
        settings.LANGUAGES, required=False, help_text="Default: the host's language."
    )


class SpaceUpdateInput(serializers.Serializer):
    speak_policy = serializers.ChoiceField(Space.SpeakPolicy.choices)


class JoinInput(serializers.Serializer):
    listed = serializers.BooleanField(required=False)


class ReactionInput(serializers.Serializer):
    emoji = serializers.CharField(max_length=16)


class PinInput(serializers.Serializer):
    tweet = RowIdField()


class BrowserSession(BasePermission):
    """Anyone may call, signed in or not. An anonymous browser acts through its session
    cookie, so, like a form, it must send the CSRF token."""

    def has_permission(self, request, view):
        if request.method not in SAFE_METHODS and not request.user.is_authenticated:
            SessionAuthentication().enforce_csrf(request)
        return True


def _space(code) -> Space:
    return selectors.space_get(code)


def _snapshot(request, space):
    seat = selectors.participant_for(space, user=request.user, anon_id=browser_identity(request))
    return Response(selectors.space_snapshot(space, seat))


class SpaceListApi(APIView):
    @extend_schema(
        operation_id="spaces_list",
        parameters=[OpenApiParameter("q", str)],
        responses=DirectoryOutput,
    )
    def get(self, request):
        """Live and upcoming Spaces, searchable by title, host and topic (?q=)."""
        found = selectors.directory(
            query=request.query_params.get("q", "")[:100], viewer=request.user
        )
        return Response(DirectoryOutput(found).data)

    @extend_schema(request=SpaceInput, responses={201: SpaceOutput})
    def post(self, request):
        """Create a Space and go live now."""
        data = SpaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        space = services.space_create(host=request.user, start_now=True, **data.validated_data)
        return Response(SpaceOutput(space).data, status=status.HTTP_201_CREATED)


class SpaceDetailApi(APIView):
    @extend_schema(responses=SnapshotOutput)
    def get(self, request, code):
        """The room's snapshot: state, stage, raised hands, listed listeners, counts, pins."""
        return _snapshot(request, _space(code))

    @extend_schema(request=SpaceUpdateInput, responses=SnapshotOutput)
    def patch(self, request, code):
        """Change who can request to speak (host or co-host)."""
        data = SpaceUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        space = _space(code)
        services.speak_policy_set(
            space=space, actor=request.user, policy=data.validated_data["speak_policy"]
        )
        return _snapshot(request, space)


class SpaceStartApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=SnapshotOutput)
    def post(self, request, code):
        """Start a scheduled Space (host only)."""
        space = services.space_start(space=_space(code), actor=request.user)
        return _snapshot(request, space)


class SpaceEndApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=SnapshotOutput)
    def post(self, request, code):
        """End the Space for everyone (host only)."""
        space = services.space_end(space=_space(code), actor=request.user)
        return _snapshot(request, space)


class JoinApi(APIView):
    permission_classes = [BrowserSession]

    @extend_schema(request=JoinInput, responses=SnapshotOutput)
    def post(self, request, code):
        """Take a seat (signed in, or anonymous with a session)."""
        data = JoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        space = _space(code)
        services.space_join(
            space=space,
            user=request.user,
            anon_id=browser_identity(request),
            listed=data.validated_data.get("listed"),
        )
        services.counts_announce(space_id=space.pk)
        return _snapshot(request, space)


class LeaveApi(APIView):
    permission_classes = [BrowserSession]

    @extend_schema(request=None, responses=SnapshotOutput)
    def post(self, request, code):
        """Leave the Space."""
        space = _space(code)
        services.space_leave(participant=access_my_seat(request, space))
        services.counts_announce(space_id=space.pk)
        return _snapshot(request, space)


class HandApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=SnapshotOutput)
    def post(self, request, code):
        """Raise one's hand: request to speak."""
        space = _space(code)
        services.hand_raise(participant=access_my_seat(request, space))
        return _snapshot(request, space)

    @extend_schema(request=None, responses={200: SnapshotOutput})
    def delete(self, request, code):
        """Lower one's hand."""
        space = _space(code)
        services.hand_lower(participant=access_my_seat(request, space))
        return _snapshot(request, space)


PARTICIPANT_ACTIONS = {
    "approve": lambda s, a, p: services.request_approve(space=s, actor=a, participant_id=p),
    "decline": lambda s, a, p: services.request_decline(space=s, actor=a, participant_id=p),
    "invite": lambda s, a, p: services.speaker_invite(space=s, actor=a, participant_id=p),
    "demote": lambda s, a, p: services.speaker_demote(space=s, actor=a, participant_id=p),
    "mute": lambda s, a, p: services.speaker_mute(space=s, actor=a, participant_id=p),
    "remove": lambda s, a, p: services.participant_remove(space=s, actor=a, participant_id=p),
    "ban": lambda s, a, p: services.participant_remove(
        space=s, actor=a, participant_id=p, ban=True
    ),
    "cohost": lambda s, a, p: services.cohost_add(space=s, actor=a, participant_id=p),
    "uncohost": lambda s, a, p: services.cohost_remove(space=s, actor=a, participant_id=p),
}


class ParticipantActionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=SnapshotOutput)
    def post(self, request, code, participant_id, action):
        """Moderate a participant: approve, decline, invite, demote, mute, remove, ban,
        cohost, uncohost."""
        if action not in PARTICIPANT_ACTIONS:
            raise NotFound(f"Unknown action: {action}.")
        space = _space(code)
        PARTICIPANT_ACTIONS[action](space, request.user, participant_id)
        return _snapshot(request, space)


class ReactionApi(APIView):
    permission_classes = [BrowserSession]
    rate_limited = True

    @extend_schema(request=ReactionInput, responses={202: None})
    def post(self, request, code):
        """React with an emoji."""
        data = ReactionInput(data=request.data)
        data.is_valid(raise_exception=True)
        space = _space(code)
        services.reaction_send(
            participant=access_my_seat(request, space), emoji=data.validated_data["emoji"]
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class PinsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=PinInput, responses=SnapshotOutput)
    def post(self, request, code):
        """Pin a tweet (host or co-host, at most three)."""
        data = PinInput(data=request.data)
        data.is_valid(raise_exception=True)
        space = _space(code)
        services.pin_add(space=space, actor=request.user, tweet_id=data.validated_data["tweet"])
        return _snapshot(request, space)


class PinDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: SnapshotOutput})
    def delete(self, request, code, tweet_id):
        """Unpin a tweet."""
        space = _space(code)
        services.pin_remove(space=space, actor=request.user, tweet_id=tweet_id)
        return _snapshot(request, space)


urlpatterns = [
    path("spaces/", SpaceListApi.as_view(), name="api-spaces"),
    path("spaces/<str:code>/", SpaceDetailApi.as_view(), name="api-space"),
    path("spaces/<str:code>/start/", SpaceStartApi.as_view(), name="api-space-start"),
    path("spaces/<str:code>/end/", SpaceEndApi.as_view(), name="api-space-end"),
    path("spaces/<str:code>/join/", JoinApi.as_view(), name="api-space-join"),
    path("spaces/<str:code>/leave/", LeaveApi.as_view(), name="api-space-leave"),
    path("spaces/<str:code>/hand/", HandApi.as_view(), name="api-space-hand"),
    path("spaces/<str:code>/reactions/", ReactionApi.as_view(), name="api-space-reactions"),
    path("spaces/<str:code>/pins/", PinsApi.as_view(), name="api-space-pins"),
    path("spaces/<str:code>/pins/<id:tweet_id>/", PinDetailApi.as_view(), name="api-space-pin"),
    path(
        "spaces/<str:code>/participants/<id:participant_id>/<str:action>/",
        ParticipantActionApi.as_view(),
        name="api-space-participant-action",
    ),
]
