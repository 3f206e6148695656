from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors, services
from accounts.forms import LanguageForm, ProfileForm
from core.forms import add_service_errors


@require_GET
def followers(request, handle):
    """Who follows this person."""
    person = selectors.profile_get(handle=handle, viewer=request.user)
    people = selectors.followers_list(user=person, viewer=request.user)
    return render(
        request,
        "accounts/people.html",
        {"person": person, "people": people, "tab": "followers"},
    )


@require_GET
def following(request, handle):
    """Whom this person follows."""
    person = selectors.profile_get(handle=handle, viewer=request.user)
    people = selectors.following_list(user=person, viewer=request.user)
    return render(
        request,
        "accounts/people.html",
        {"person": person, "people": people, "tab": "following"},
    )


def _relationship_response(request, handle, action):
    """Run a follow/block action and answer with the refreshed buttons (htmx) or a redirect."""
    target = selectors.user_get_by_handle(handle)
    try:
        action(request.user, target)
    except ValidationError as error:
        if request.htmx:
            person = selectors.profile_get(handle=target.handle, viewer=request.user)
            return render(
                request,
                "accounts/_relationship.html",
                {"person": person, "error": " ".join(error.messages)},
                status=400,
            )
        messages.error(request, " ".join(error.messages))
        return redirect(target)
    if request.htmx:
        person = selectors.profile_get(handle=target.handle, viewer=request.user)
        return render(request, "accounts/_relationship_update.html", {"person": person})
    return redirect(target)


@login_required
@require_POST
def follow(request, handle):
    """Follow a person."""
    return _relationship_response(
        request, handle, lambda me, them: services.follow_create(follower=me, followee=them)
    )


@login_required
@require_POST
def unfollow(request, handle):
    """Stop following a person."""
    return _relationship_response(
        request, handle, lambda me, them: services.follow_delete(follower=me, followee=them)
    )


@login_required
@require_POST
def block(request, handle):
    """Block a person."""
    return _relationship_response(
        request, handle, lambda me, them: services.block_create(blocker=me, blocked=them)
    )


@login_required
@require_POST
def unblock(request, handle):
    """Unblock a person."""
    return _relationship_response(
        request, handle, lambda me, them: services.block_delete(blocker=me, blocked=them)
    )


@login_required
def profile_edit(request):
    """Edit one's display name, bio and avatar."""
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.profile_update(
                    user=user,
                    display_name=form.cleaned_data["display_name"],
                    bio=form.cleaned_data["bio"],
                    avatar=form.cleaned_data["avatar"],
                    remove_avatar=form.cleaned_data["remove_avatar"],
                    time_zone=form.cleaned_data["time_zone"],
                )
            except ValidationError as error:
                user.refresh_from_db()
                add_service_errors(form, error, field="avatar")
            else:
                messages.success(request, _("Your profile is saved."))
                return redirect(user)
    else:
        form = ProfileForm(
            initial={
                "display_name": user.display_name,
                "bio": user.bio,
                "time_zone": user.time_zone,
            }
        )
    return render(request, "accounts/profile_edit.html", {"form": form})


@require_POST
def language_set(request):
    """Switch the interface language; remembered on the account when signed in."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.user_set_language(user=request.user, language=language)
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
        )
    else:
        messages.error(request, _("Unknown language."))
    return response
