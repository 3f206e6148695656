from django.urls import path  # noqa: F401 (the helpers add their paths)

app_name = "captions"

urlpatterns = [
    # The host's switch (live), then the transcript, its downloads and the replay's track.
]
