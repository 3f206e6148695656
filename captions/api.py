"""The captions API: the same services as the pages."""

from django.urls import path  # noqa: F401 (the helpers add their paths)

urlpatterns = [
    # PATCH spaces/<code>/captions/ (live); GET spaces/<code>/transcript/ (stored).
]


# Stored captions: GET spaces/<code>/transcript/ (captions/transcript_api.py).
from captions.transcript_api import urlpatterns as transcript_urlpatterns  # noqa: E402

urlpatterns += transcript_urlpatterns
