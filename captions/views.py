"""The host's captions switch on the live Space page (fetch, htmx or a plain form)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from captions import engine
from captions.services import captions_set
from core.errors import error_code, error_message
from rooms.selectors import space_get


class SwitchForm(forms.Form):
    # An unchecked box is absent from a form's POST: captions off, as the box says.
    enabled = forms.BooleanField(required=False)
    # Checked by the service (one rule for the page and the API); blank keeps it.
    language = forms.CharField(required=False)


def captions_state(space) -> dict:
    """What the switch shows: on or off, the language, and whether it can be captioned."""
    return {
        "enabled": space.captions,
        "language": space.captions_language,
        "available": space.captions_language in engine.languages(),
    }


@require_POST
def captions_switch(request, code):
    """The host or a co-host turns the Space's captions on or off, or changes their language;
    anyone else gets a 403 that says why, a bad language or an ended Space a 400."""
    space = space_get(code)
    form = SwitchForm(request.POST)
    form.is_valid()  # always: both fields are optional, and the service checks the language
    error, status = None, 200
    try:
        captions_set(
            space=space,
            actor=request.user,
            enabled=form.cleaned_data.get("enabled", False),
            language=form.cleaned_data.get("language") or None,
        )
    except PermissionDenied as exc:
        error, status = exc, 403
    except ValidationError as exc:
        error, status = exc, 400
    if request.htmx:
        space.refresh_from_db(fields=["captions", "captions_language"])
        context = {"space": space, "error": error_message(error) if error else ""}
        return render(request, "captions/_live_controls.html", context, status=status)
    if "application/json" in request.headers.get("Accept", ""):
        if error is not None:
            return JsonResponse(
                {"detail": error_message(error), "code": error_code(error)}, status=status
            )
        return JsonResponse(captions_state(space))
    # A plain form (no script): back to the room, with what happened.
    if error is not None:
        messages.error(request, error_message(error))
    elif space.captions:
        messages.success(request, _("Captions are on."))
    else:
        messages.success(request, _("Captions are off."))
    return redirect(space)
