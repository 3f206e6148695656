"""The notifications API: my notifications, marking them read, and this browser's push
subscription (the same services as the pages)."""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import RowIdField
from core.forms import row_id
from notifications import selectors, services


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
    path("notifications/", NotificationListApi.as_view(), name="api-notifications"),
    path("push/subscriptions/", PushSubscriptionsApi.as_view(), name="api-push-subscriptions"),
    path("notifications/read/", NotificationReadApi.as_view(), name="api-notifications-read"),
]
