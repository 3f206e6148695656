from django.urls import path, register_converter

from accounts import views


class HandleConverter:
    regex = "[A-Za-z0-9_]{1,15}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(HandleConverter, "handle")

app_name = "accounts"

urlpatterns = [
    path("@<handle:handle>/", views.profile, name="profile"),
    path("@<handle:handle>/followers/", views.followers, name="followers"),
    path("@<handle:handle>/following/", views.following, name="following"),
    path("@<handle:handle>/follow/", views.follow, name="follow"),
    path("@<handle:handle>/unfollow/", views.unfollow, name="unfollow"),
    path("@<handle:handle>/block/", views.block, name="block"),
    path("@<handle:handle>/unblock/", views.unblock, name="unblock"),
    path("settings/profile/", views.profile_edit, name="profile_edit"),
    path("settings/language/", views.language_set, name="language_set"),
]
