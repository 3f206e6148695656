from django.urls import path

from timeline import views

app_name = "timeline"

urlpatterns = [
    path("", views.home, name="home"),
    path("tweets/", views.tweet_create, name="tweet_create"),
    path("tweets/<id:tweet_id>/", views.tweet_detail, name="tweet"),
    # The profile page is a person's timeline; their followers, follows and settings
    # are accounts' pages under the same /@<handle>/ prefix.
    path("@<handle:handle>/", views.profile, name="profile"),
]
