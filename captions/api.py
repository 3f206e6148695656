"""The captions API: the same services as the pages."""

from django.urls import path  # noqa: F401 (the helpers add their paths)

urlpatterns = [
    # PATCH spaces/<code>/captions/ (live); GET spaces/<code>/transcript/ (stored).
]
