"""REST API for people: a token, me, profiles, follow, unfollow, block, unblock."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import User
from core.ratelimit import RateLimited


class PersonOutput(serializers.ModelSerializer):
    """A person as a tweet's author or a line in a list: always these fields."""

    url = serializers.CharField(source="get_absolute_url", read_only=True)
    avatar_url = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["handle", "display_name", "bio", "avatar_url", "is_brand", "url"]

    def get_avatar_url(self, user) -> str | None:
        return user.avatar.url if user.avatar else None


class RelatedPersonOutput(PersonOutput):
    """A person in a list of followers or followings, with how the caller relates to them
    (null when the caller is not signed in)."""

    viewer_follows = serializers.SerializerMethodField()
    follows_viewer = serializers.SerializerMethodField()
    viewer_blocked = serializers.SerializerMethodField()

    class Meta(PersonOutput.Meta):
        fields = [*PersonOutput.Meta.fields, "viewer_follows", "follows_viewer", "viewer_blocked"]

    def get_viewer_follows(self, user) -> bool | None:
        return getattr(user, "viewer_follows", None)

    def get_follows_viewer(self, user) -> bool | None:
        return getattr(user, "follows_viewer", None)

    def get_viewer_blocked(self, user) -> bool | None:
        return getattr(user, "viewer_blocked", None)


class UserOutput(RelatedPersonOutput):
    """A profile: the person, their counts, and how the caller relates to them."""

    followers_count = serializers.IntegerField(read_only=True)
    following_count = serializers.IntegerField(read_only=True)

    class Meta(RelatedPersonOutput.Meta):
        fields = [*RelatedPersonOutput.Meta.fields, "followers_count", "following_count"]


class MeOutput(UserOutput):
    class Meta(UserOutput.Meta):
        fields = [*UserOutput.Meta.fields, "email", "language"]


class PeopleOutput(serializers.Serializer):
    results = RelatedPersonOutput(many=True)


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text="Email address or handle.")
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class TokenApi(APIView):
    # Credentials are in the body; a stale token or session must not stand in the way.
    authentication_classes = []
    permission_classes = []
    rate_limited = True

    @extend_schema(request=TokenInput, responses=TokenOutput)
    def post(self, request):
        """A token for an email (or handle) and password. Failures count towards the same
        lockout as the sign-in form's (allauth's "login_failed" limit, per account and
        per address), and no token is given while it holds."""
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            key = services.token_issue(
                request=request._request,
                login=data.validated_data["username"],
                password=data.validated_data["password"],
            )
        except RateLimited as error:
            return Response(
                {"detail": " ".join(error.messages), "code": error.code},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        return Response({"token": key})


class ProfileInput(serializers.Serializer):
    display_name = serializers.CharField(max_length=50, allow_blank=True, required=False)
    bio = serializers.CharField(max_length=160, allow_blank=True, required=False)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeOutput)
    def get(self, request):
        """The signed-in person's own profile."""
        me = selectors.profile_get(handle=request.user.handle, viewer=request.user)
        return Response(MeOutput(me).data)

    @extend_schema(request=ProfileInput, responses=MeOutput)
    def patch(self, request):
        """Change one's display name or bio."""
        data = ProfileInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        services.profile_update(
            user=user,
            display_name=data.validated_data.get("display_name", user.display_name),
            bio=data.validated_data.get("bio", user.bio),
        )
        me = selectors.profile_get(handle=user.handle, viewer=user)
        return Response(MeOutput(me).data)


class UserDetailApi(APIView):
    @extend_schema(responses=UserOutput)
    def get(self, request, handle):
        """A person's public profile, with counts and how the caller relates to them."""
        person = selectors.profile_get(handle=handle, viewer=request.user)
        return Response(UserOutput(person).data)


class FollowApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=UserOutput)
    def post(self, request, handle):
        """Follow this person."""
        target = selectors.user_get_by_handle(handle)
        services.follow_create(follower=request.user, followee=target)
        return Response(UserOutput(selectors.profile_get(handle=handle, viewer=request.user)).data)

    @extend_schema(request=None, responses={200: UserOutput})
    def delete(self, request, handle):
        """Stop following this person."""
        target = selectors.user_get_by_handle(handle)
        services.follow_delete(follower=request.user, followee=target)
        return Response(UserOutput(selectors.profile_get(handle=handle, viewer=request.user)).data)


class BlockApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=UserOutput)
    def post(self, request, handle):
        """Block this person (removes follows both ways)."""
        target = selectors.user_get_by_handle(handle)
        services.block_create(blocker=request.user, blocked=target)
        return Response(UserOutput(selectors.profile_get(handle=handle, viewer=request.user)).data)

    @extend_schema(request=None, responses={200: UserOutput})
    def delete(self, request, handle):
        """Unblock this person."""
        target = selectors.user_get_by_handle(handle)
        services.block_delete(blocker=request.user, blocked=target)
        return Response(UserOutput(selectors.profile_get(handle=handle, viewer=request.user)).data)


class FollowersApi(APIView):
    @extend_schema(responses=PeopleOutput)
    def get(self, request, handle):
        """People who follow this person (the newest 200)."""
        person = selectors.user_get_by_handle(handle)
        people = selectors.followers_list(user=person, viewer=request.user)
        return Response(PeopleOutput({"results": people}).data)


class FollowingApi(APIView):
    @extend_schema(responses=PeopleOutput)
    def get(self, request, handle):
        """People this person follows (the newest 200)."""
        person = selectors.user_get_by_handle(handle)
        people = selectors.following_list(user=person, viewer=request.user)
        return Response(PeopleOutput({"results": people}).data)


urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("me/", MeApi.as_view(), name="api-me"),
    path("users/<str:handle>/", UserDetailApi.as_view(), name="api-user"),
    path("users/<str:handle>/follow/", FollowApi.as_view(), name="api-user-follow"),
    path("users/<str:handle>/block/", BlockApi.as_view(), name="api-user-block"),
    path("users/<str:handle>/followers/", FollowersApi.as_view(), name="api-user-followers"),
    path("users/<str:handle>/following/", FollowingApi.as_view(), name="api-user-following"),
]
