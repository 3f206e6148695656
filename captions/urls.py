from django.urls import path

from captions import views

app_name = "captions"

urlpatterns = [
    # The host's switch (live), then the transcript, its downloads and the replay's track.
    path("spaces/<str:code>/captions/", views.captions_switch, name="switch"),
]
