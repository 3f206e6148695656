"""REST API for tweets and the home timeline."""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import PersonOutput
from accounts.selectors import user_get_by_handle
from core.api import RowIdField
from timeline import selectors, services
from timeline.access import access_tweet
from timeline.models import TWEET_MAX_LENGTH


class TweetOutput(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    author = PersonOutput()
    reply_to = serializers.IntegerField(source="reply_to_id", allow_null=True)
    created_at = serializers.DateTimeField()
    reply_count = serializers.IntegerField()
    url = serializers.CharField(source="get_absolute_url")


class TweetDetailOutput(TweetOutput):
    replies = serializers.SerializerMethodField()

    @extend_schema_field(TweetOutput(many=True))
    def get_replies(self, tweet):
        return TweetOutput(self.context["replies"], many=True).data


class TweetPageOutput(serializers.Serializer):
    results = TweetOutput(many=True)
    next_before = serializers.IntegerField(allow_null=True)


class TweetInput(serializers.Serializer):
    # Length is checked by the service, so that the API and the page say the same thing.
    text = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=TWEET_MAX_LENGTH * 4
    )
    reply_to = RowIdField(required=False, allow_null=True)


def _page_response(page):
    return Response(TweetPageOutput({"results": page.tweets, "next_before": page.next_before}).data)


BEFORE = OpenApiParameter(
    "before", int, description="Cursor: the next_before of the last page (a positive id)."
)


class TweetListApi(APIView):
    looks_up = True  # the author, or the tweet replied to: 404 when hidden or missing
    rate_limited = True  # posting

    @extend_schema(
        operation_id="tweets_list",
        parameters=[OpenApiParameter("author", str, required=True), BEFORE],
        responses=TweetPageOutput,
    )
    def get(self, request):
        """One person's tweets, newest first, cursor-paginated."""
        handle = request.query_params.get("author")
        if not handle:
            return Response(
                {"detail": "Give ?author=<handle>.", "code": "author_required"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        author = user_get_by_handle(handle)
        return _page_response(
            selectors.profile_timeline(
                author=author, viewer=request.user, before=request.query_params.get("before")
            )
        )

    @extend_schema(request=TweetInput, responses={201: TweetOutput})
    def post(self, request):
        """Post a tweet (1–280 characters) or a reply."""
        data = TweetInput(data=request.data)
        data.is_valid(raise_exception=True)
        reply_to = None
        if data.validated_data.get("reply_to"):
            reply_to = access_tweet(tweet_id=data.validated_data["reply_to"], viewer=request.user)
        tweet = services.tweet_create(
            author=request.user, text=data.validated_data["text"], reply_to=reply_to
        )
        tweet = access_tweet(tweet_id=tweet.pk, viewer=request.user)
        return Response(TweetOutput(tweet).data, status=status.HTTP_201_CREATED)


class TweetDetailApi(APIView):
    @extend_schema(operation_id="tweets_retrieve", responses=TweetDetailOutput)
    def get(self, request, tweet_id):
        """A tweet with its replies."""
        tweet = access_tweet(tweet_id=tweet_id, viewer=request.user)
        replies = selectors.tweet_replies(tweet=tweet, viewer=request.user)
        return Response(TweetDetailOutput(tweet, context={"replies": replies}).data)


class HomeTimelineApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[BEFORE], responses=TweetPageOutput)
    def get(self, request):
        """The caller's home timeline: followed accounts and oneself, newest first."""
        return _page_response(
            selectors.home_timeline(user=request.user, before=request.query_params.get("before"))
        )


urlpatterns = [
    path("tweets/", TweetListApi.as_view(), name="api-tweets"),
    path("tweets/<id:tweet_id>/", TweetDetailApi.as_view(), name="api-tweet"),
    path("timeline/home/", HomeTimelineApi.as_view(), name="api-home-timeline"),
]
