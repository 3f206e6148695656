from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def directory(request):
    """The Spaces directory (live and upcoming Spaces arrive with the rooms models)."""
    return render(request, "rooms/directory.html")
