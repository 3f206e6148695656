"""REST API for people: me, profiles, follow, unfollow, block, unblock."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import User


class UserOutput(serializers.ModelSerializer):
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    avatar_url = serializers.SerializerMethodField()
    followers_count = serializers.IntegerField(read_only=True, required=False)
    following_count = serializers.IntegerField(read_only=True, required=False)
    viewer_follows = serializers.BooleanField(read_only=True, required=False)
    follows_viewer = serializers.BooleanField(read_only=True, required=False)
    viewer_blocked = serializers.BooleanField(read_only=True, required=False)

    class Meta:
        model = User
        fields = [
            "handle",
            "display_name",
            "bio",
            "avatar_url",
            "is_brand",
            "url",
            "followers_count",
            "following_count",
            "viewer_follows",
            "follows_viewer",
            "viewer_blocked",
        ]

    def get_avatar_url(self, user) -> str | None:
        return user.avatar.url if user.avatar else None


class MeOutput(UserOutput):
    class Meta(UserOutput.Meta):
        fields = [*UserOutput.Meta.fields, "email", "language"]


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

    @extend_schema(request=None, responses=UserOutput)
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

    @extend_schema(request=None, responses=UserOutput)
    def delete(self, request, handle):
        """Unblock this person."""
        target = selectors.user_get_by_handle(handle)
        services.block_delete(blocker=request.user, blocked=target)
        return Response(UserOutput(selectors.profile_get(handle=handle, viewer=request.user)).data)


class FollowersApi(APIView):
    @extend_schema(responses=UserOutput(many=True))
    def get(self, request, handle):
        """People who follow this person."""
        person = selectors.user_get_by_handle(handle)
        people = selectors.followers_list(user=person, viewer=request.user)
        return Response({"results": UserOutput(people, many=True).data})


class FollowingApi(APIView):
    @extend_schema(responses=UserOutput(many=True))
    def get(self, request, handle):
        """People this person follows."""
        person = selectors.user_get_by_handle(handle)
        people = selectors.following_list(user=person, viewer=request.user)
        return Response({"results": UserOutput(people, many=True).data})


urlpatterns = [
    path("me/", MeApi.as_view(), name="api-me"),
    path("users/<str:handle>/", UserDetailApi.as_view(), name="api-user"),
    path("users/<str:handle>/follow/", FollowApi.as_view(), name="api-user-follow"),
    path("users/<str:handle>/block/", BlockApi.as_view(), name="api-user-block"),
    path("users/<str:handle>/followers/", FollowersApi.as_view(), name="api-user-followers"),
    path("users/<str:handle>/following/", FollowingApi.as_view(), name="api-user-following"),
]
