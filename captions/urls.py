from django.urls import path

from captions import transcript_views, views

app_name = "captions"

urlpatterns = [
    # The host's switch (live).
    path("spaces/<str:code>/captions/", views.captions_switch, name="switch"),
    # The transcript, its downloads, and the replay's and clips' tracks.
    path("spaces/<str:code>/transcript/", transcript_views.transcript_page, name="transcript"),
    path(
        "spaces/<str:code>/transcript.<str:kind>",
        transcript_views.transcript_download,
        name="transcript-file",
    ),
    path("spaces/<str:code>/captions.vtt", transcript_views.replay_track, name="replay-track"),
    path("c/<str:code>/captions.vtt", transcript_views.clip_track, name="clip-track"),
]
