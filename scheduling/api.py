"""REST API for scheduling: the same services as the pages."""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import RowIdField
from core.forms import row_id
from rooms.api import SpaceOutput
from rooms.models import Space
from rooms.selectors import space_get
from scheduling import selectors, services


class ScheduleInput(serializers.Serializer):
    title = serializers.CharField(max_length=500)
    starts_at = serializers.DateTimeField(
        help_text="ISO 8601 with an offset (UTC is fine); at most 14 days ahead."
    )
    topics = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    speak_policy = serializers.ChoiceField(Space.SpeakPolicy.choices, required=False)
    record = serializers.BooleanField(required=False)
    captions = serializers.BooleanField(required=False)
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


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    text = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationPageOutput(serializers.Serializer):
    unread = serializers.IntegerField()
    notifications = NotificationOutput(many=True)


class MarkedOutput(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread.")
    unread = serializers.IntegerField()


class SubscribedOutput(serializers.Serializer):
    subscribed = serializers.BooleanField()


class RemovedOutput(serializers.Serializer):
    removed = serializers.IntegerField(help_text="How many subscriptions were forgotten.")


class ReadInput(serializers.Serializer):
    id = RowIdField(required=False, help_text="One notification; all without.")


class PushKeysInput(serializers.Serializer):
    p256dh = serializers.CharField(max_length=100)
    auth = serializers.CharField(max_length=40)


class PushSubscriptionInput(serializers.Serializer):
    endpoint = serializers.CharField(max_length=1000)
    keys = PushKeysInput()


class PushEndpointInput(serializers.Serializer):
    endpoint = serializers.CharField(max_length=1000)


class PushSubscriptionsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=PushSubscriptionInput, responses={201: SubscribedOutput})
    def post(self, request):
        """Register this browser's push subscription (from PushManager.subscribe)."""
        data = PushSubscriptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.push_subscribe(
            user=request.user,
            endpoint=data.validated_data["endpoint"],
            **data.validated_data["keys"],
        )
        return Response({"subscribed": True}, status=status.HTTP_201_CREATED)

    @extend_schema(request=PushEndpointInput, responses={200: RemovedOutput})
    def delete(self, request):
        """Forget this browser's push subscription."""
        data = PushEndpointInput(data=request.data)
        data.is_valid(raise_exception=True)
        removed = services.push_unsubscribe(
            user=request.user, endpoint=data.validated_data["endpoint"]
        )
        return Response({"removed": removed})


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
            space=space_get(code), actor=request.user, **data.validated_data
        )
        return Response(SpaceOutput(space).data)

    @extend_schema(request=None, responses={200: SpaceOutput})
    def delete(self, request, code):
        """The host cancels a scheduled Space; everyone with a reminder is told."""
        space = services.space_cancel(space=space_get(code), actor=request.user)
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


class NotificationListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("before", int)], responses=NotificationPageOutput)
    def get(self, request):
        """My notifications, newest first, 30 at a time (?before=<id> for older ones)."""
        items = selectors.notifications(
            request.user, before=row_id(request.query_params.get("before"))
        )
        page = {"unread": selectors.unread_count(request.user), "notifications": items}
        return Response(NotificationPageOutput(page).data)


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReadInput, responses=MarkedOutput)
    def post(self, request):
        """Mark one notification, or all of them, as read."""
        data = ReadInput(data=request.data)
        data.is_valid(raise_exception=True)
        changed = services.notifications_mark_read(
            user=request.user, notification_id=data.validated_data.get("id")
        )
        return Response({"marked": changed, "unread": selectors.unread_count(request.user)})


urlpatterns = [
    path("spaces/scheduled/", ScheduleApi.as_view(), name="api-schedule"),
    path("spaces/<str:code>/schedule/", ScheduledSpaceApi.as_view(), name="api-space-schedule"),
    path("spaces/<str:code>/reminder/", ReminderApi.as_view(), name="api-space-reminder"),
    path("notifications/", NotificationListApi.as_view(), name="api-notifications"),
    path("push/subscriptions/", PushSubscriptionsApi.as_view(), name="api-push-subscriptions"),
    path("notifications/read/", NotificationReadApi.as_view(), name="api-notifications-read"),
]
