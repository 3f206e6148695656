from django.urls import path

from rooms import hls, views

app_name = "rooms"

urlpatterns = [
    path("spaces/", views.directory, name="directory"),
    path("spaces/new/", views.space_create, name="create"),
    path("spaces/mine/", views.dashboard, name="dashboard"),
    path("spaces/live-bar/", views.live_bar, name="live_bar"),
    path("spaces/<str:code>/state", views.space_state, name="state"),
    path("spaces/<str:code>/manage/", views.space_manage, name="manage"),
    path("spaces/<str:code>/start/", views.space_start, name="start"),
    path("spaces/<str:code>/end/", views.space_end, name="end"),
    path("spaces/<str:code>/policy/", views.policy_set, name="policy"),
    path("spaces/<str:code>/cohosts/", views.cohost_add, name="cohost_add"),
    path(
        "spaces/<str:code>/cohosts/<id:participant_id>/remove/",
        views.cohost_remove,
        name="cohost_remove",
    ),
    path("spaces/<str:code>/pins/", views.pin_add, name="pin_add"),
    path("spaces/<str:code>/pinnable/", views.pinnable, name="pinnable"),
    path("spaces/<str:code>/pins/<id:tweet_id>/remove/", views.pin_remove, name="pin_remove"),
    # Listening over HLS: the live stream's files (docs/media.md).
    path("spaces/<str:code>/hls/<str:name>", hls.live_file, name="live_hls"),
    path("s/<str:code>/", views.space_page, name="space"),
]
