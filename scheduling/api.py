"""REST API for scheduling: the same services as the pages."""

from django.conf import settings
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from rooms.api import SpaceOutput
from rooms.models import Space
from rooms.selectors import space_get
from scheduling import selectors, services
from scheduling.access import access_hosted_space


class ScheduleInput(serializers.Serializer):
    title = serializers.CharField(max_length=500)
    starts_at = serializers.DateTimeField(
        help_text="ISO 8601 with an offset (UTC is fine); at most 14 days ahead."
    )
    topics = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    speak_policy = serializers.ChoiceField(Space.SpeakPolicy.choices, required=False)
    record = serializers.BooleanField(required=False)
    captions = serializers.BooleanField(required=False)
    captions_language = serializers.ChoiceField(
        settings.LANGUAGES, required=False, help_text="Default: the host's language."
    )
    cohosts = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, help_text="Handles."
    )
    tweet_on_start = serializers.BooleanField(required=False)


class RescheduleInput(serializers.Serializer):
    title = serializers.CharField(max_length=500, required=False)
    starts_at = serializers.DateTimeField(required=False)
    topics = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    cohosts = serializers.ListField(child=serializers.CharField(max_length=20), required=False)


class ReminderOutput(serializers.Serializer):
    reminded = serializers.BooleanField()
    reminders = serializers.IntegerField(help_text="How many people set one (host only).")


class ScheduleApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ScheduleInput, responses={201: SpaceOutput})
    def post(self, request):
        """Schedule a Space from now up to 14 days ahead."""
        data = ScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        space = services.space_schedule(host=request.user, **data.validated_data)
        return Response(SpaceOutput(space).data, status=status.HTTP_201_CREATED)


class ScheduledSpaceApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RescheduleInput, responses=SpaceOutput)
    def patch(self, request, code):
        """The host changes a scheduled Space; a new time tells everyone with a reminder."""
        data = RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        space = services.space_reschedule(
            space=access_hosted_space(code=code, user=request.user),
            actor=request.user,
            **data.validated_data,
        )
        return Response(SpaceOutput(space).data)

    @extend_schema(request=None, responses={200: SpaceOutput})
    def delete(self, request, code):
        """The host cancels a scheduled Space; everyone with a reminder is told."""
        space = access_hosted_space(code=code, user=request.user)
        space = services.space_cancel(space=space, actor=request.user)
        return Response(SpaceOutput(space).data)


def _reminder_state(request, space) -> dict:
    reminded = space.pk in selectors.reminded_space_ids(request.user, [space])
    count = selectors.reminder_count(space) if request.user.pk == space.host_id else 0
    return {"reminded": reminded, "reminders": count}


class ReminderApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ReminderOutput)
    def get(self, request, code):
        """Whether I have a reminder for this Space (and, for its host, how many do)."""
        return Response(_reminder_state(request, space_get(code)))

    @extend_schema(request=None, responses=ReminderOutput)
    def put(self, request, code):
        """Remind me when this Space starts."""
        space = space_get(code)
        services.reminder_set(space=space, user=request.user)
        return Response(_reminder_state(request, space))

    @extend_schema(request=None, responses={200: ReminderOutput})
    def delete(self, request, code):
        """Forget my reminder for this Space."""
        space = space_get(code)
        services.reminder_remove(space=space, user=request.user)
        return Response(_reminder_state(request, space))


urlpatterns = [
    path("spaces/scheduled/", ScheduleApi.as_view(), name="api-schedule"),
    path("spaces/<str:code>/schedule/", ScheduledSpaceApi.as_view(), name="api-space-schedule"),
    path("spaces/<str:code>/reminder/", ReminderApi.as_view(), name="api-space-reminder"),
]
