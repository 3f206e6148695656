from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("@<handle:handle>/followers/", views.followers, name="followers"),
    path("@<handle:handle>/following/", views.following, name="following"),
    path("@<handle:handle>/follow/", views.follow, name="follow"),
    path("@<handle:handle>/unfollow/", views.unfollow, name="unfollow"),
    path("@<handle:handle>/block/", views.block, name="block"),
    path("@<handle:handle>/unblock/", views.unblock, name="unblock"),
    path("settings/profile/", views.profile_edit, name="profile_edit"),
    path("settings/language/", views.language_set, name="language_set"),
]
