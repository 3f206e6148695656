from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import error_message
from core.forms import add_service_errors
from rooms import selectors, services
from rooms.access import access_manageable_space
from rooms.forms import HandleForm, PinForm, PolicyForm, SpaceForm
from rooms.identity import browser_identity
from rooms.models import MAX_PINS, REACTIONS, Participant


@require_GET
def space_page(request, code):
    """The Space at its public link, for anyone: live room, upcoming or ended page."""
    space = selectors.space_get(code)
    context = {"space": space}
    if space.is_over:
        return render(request, "rooms/space_over.html", context)
    if not space.is_live:
        context["strings"] = {"starting": _("Loading…")}
        return render(request, "rooms/space_upcoming.html", context)
    anon_id = browser_identity(request)
    if selectors.removed_from(space, user=request.user, anon_id=anon_id):
        # As on X: a removed person cannot come back to this Space by reopening its link.
        return render(request, "rooms/space_over.html", {**context, "removed": True}, status=403)
    context.update(
        reactions=REACTIONS,
        strings=_room_strings(),
        max_pins=MAX_PINS,
        share_url=request.build_absolute_uri(space.get_absolute_url()),
    )
    return render(request, "rooms/space.html", context)


def _room_strings() -> dict:
    """The words the room's script shows, in the page's language."""
    return {
        "host": _("Host"),
        "cohost": _("Co-host"),
        "speaker": _("Speaker"),
        "muted": _("Muted"),
        "listener": _("Listener"),
        "listening_one": _("1 listening"),
        "listening_many": _("%(count)s listening"),
        "approve": _("Approve"),
        "decline": _("Decline"),
        "invite": _("Invite to speak"),
        "invited": _("Invited"),
        "mute": _("Mute"),
        "mute_short": pgettext("room dock", "Mute"),
        "demote": _("Move to listeners"),
        "remove": _("Remove"),
        "ban": _("Remove and block"),
        "make_cohost": _("Make co-host"),
        "unmake_cohost": _("Remove as co-host"),
        "connecting": _("Connecting…"),
        "connected": _("Connected"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "copied": _("Link copied."),
        "copy_failed": _("Could not copy the link: copy it from the address bar."),
        "removed": _("You were removed from this Space."),
        "removed_text": _("The host or a co-host removed you. You cannot rejoin this Space."),
        "removed_pill": _("Removed"),
        "ended": _("This Space has ended."),
        "ended_text": _("Thanks for listening."),
        "ended_pill": pgettext("a Space's state", "Ended"),
        "refused_pill": _("Unavailable"),
        "ending_soon": _(
            "The host has left. This Space ends in %(seconds)s s unless they come back."
        ),
        "now_on_stage": _("%(name)s is on the stage."),
        "asks_to_speak": _("%(name)s asks to speak."),
        "joined": _("%(name)s joined."),
        "pin": _("Pin"),
        "unpin": _("Unpin"),
        "pins_full": _("Three tweets are pinned: unpin one to pin another."),
        "nothing_to_pin": _("No tweets to pin yet: tweet, then pin it here."),
        "pinnable_failed": _("Could not load tweets. Close and open this again."),
        "no_listeners": _("Nobody is listed yet: listeners can listen anonymously."),
        "empty_stage": _("Nobody is on the stage right now."),
        "actions_for": _("Actions for %(name)s"),
        "listen": pgettext("room dock", "Listen"),
        "listen_stage": _("Connect your audio"),
        "connect_short": pgettext("room dock", "Connect"),
        "stop_listening": _("Stop listening"),
        "stop_short": pgettext("room dock", "Stop"),
        "unmute": pgettext("room dock", "Unmute"),
        "speaking": _("speaking"),
        "audio_connecting": _("Connecting audio…"),
        "audio_listening": _("Listening live."),
        "audio_speaking": _("Your microphone is connected."),
        "audio_reconnecting": _("Audio connection lost. Reconnecting…"),
        "audio_unavailable": _("Live audio is unavailable right now. Trying again…"),
        "audio_failed": _("Audio could not connect."),
        "audio_failed_connect": _(
            "Audio could not connect. A firewall may be blocking it, or this network needs "
            "a TURN relay (ask the site's operator). Still trying…"
        ),
        "mic_denied": _(
            "Microphone blocked: allow it in your browser's site settings to speak. "
            "You can still listen."
        ),
        "mic_missing": _("No microphone found: connect one to speak. You can still listen."),
        "mic_failed": _("Your microphone could not start. You can still listen."),
    }


@never_cache
@require_GET
def space_state(request, code):
    """The room's snapshot as JSON: what a client resyncs from."""
    space = selectors.space_get(code)
    me = selectors.participant_for(space, user=request.user, anon_id=browser_identity(request))
    return JsonResponse(selectors.space_snapshot(space, me))


@login_required
@never_cache
@require_GET
def pinnable(request, code):
    """Tweets a host or co-host may pin from the room: the host's and their own, newest first."""
    space = access_manageable_space(code=code, user=request.user)
    tweets = selectors.pinnable_tweets(space, request.user)
    return JsonResponse(
        {
            "tweets": [
                {"id": t.pk, "text": t.text, "handle": t.author.handle, "url": t.get_absolute_url()}
                for t in tweets
            ]
        }
    )


@require_GET
def directory(request):
    """Live and upcoming Spaces, searchable by title, host and topic."""
    query = request.GET.get("q", "")[:100]
    context = {
        "query": query,
        **selectors.directory(query=query, viewer=request.user),
    }
    if request.htmx_target == "space-results":
        return render(request, "rooms/_directory_results.html", context)
    return render(request, "rooms/directory.html", context)


@require_GET
def live_bar(request):
    """The live bar's bubbles, re-fetched when a followed account's Space changes."""
    return render(
        request, "rooms/_live_bar.html", {"live_spaces": selectors.live_bar(request.user)}
    )


@login_required
def space_create(request):
    """Create a Space and go live now."""
    initial = SpaceForm.initial_for(request.user, request.LANGUAGE_CODE)
    form = SpaceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            space = services.space_create(
                host=request.user,
                title=form.cleaned_data["title"],
                topics=form.topic_list(),
                speak_policy=form.cleaned_data["speak_policy"],
                record=form.cleaned_data["record"],
                captions=form.cleaned_data["captions"],
                captions_language=form.cleaned_data["captions_language"],
                start_now=True,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(space)
    return render(request, "rooms/space_form.html", {"form": form})


@login_required
@require_GET
def dashboard(request):
    """The host dashboard: my Spaces, live, upcoming and ended."""
    return render(request, "rooms/dashboard.html", selectors.hosted_by(request.user))


@login_required
@require_GET
def space_manage(request, code):
    """Manage a Space: co-hosts, pins, who can speak; start or end it."""
    space = access_manageable_space(code=code, user=request.user)
    cohosts = selectors.present(space).filter(role=Participant.Role.COHOST).select_related("user")
    return render(
        request,
        "rooms/manage.html",
        {
            "space": space,
            "cohosts": list(cohosts),
            "pins": selectors.pins(space),
            "policy_form": PolicyForm(initial={"speak_policy": space.speak_policy}),
            "handle_form": HandleForm(),
            "pin_form": PinForm(),
            "is_host": space.host_id == request.user.pk,
        },
    )


def _manage_action(request, code, run):
    """Run one management action and come back to the manage page with its outcome."""
    space = access_manageable_space(code=code, user=request.user)
    try:
        message = run(space)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_message(error))
    else:
        if message:
            messages.success(request, message)
    if space.is_over:
        return redirect(space)
    return redirect("rooms:manage", code=space.code)


@login_required
@require_POST
def space_start(request, code):
    """Start a scheduled Space now (host only)."""

    space = access_manageable_space(code=code, user=request.user)
    try:
        services.space_start(space=space, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_message(error))
        return redirect(space)
    # Into the room: the host is on the stage and starts by connecting their audio.
    messages.success(request, _("You are live."))
    return redirect(space)


@login_required
@require_POST
def space_end(request, code):
    """End a live Space for everyone (host only)."""

    def run(space):
        services.space_end(space=space, actor=request.user)
        return _("The Space has ended.")

    return _manage_action(request, code, run)


@login_required
@require_POST
def policy_set(request, code):
    """Change who can request to speak."""
    form = PolicyForm(request.POST)

    def run(space):
        if not form.is_valid():
            raise ValidationError(_("Choose who can request to speak."))
        services.speak_policy_set(
            space=space, actor=request.user, policy=form.cleaned_data["speak_policy"]
        )
        return _("Saved.")

    return _manage_action(request, code, run)


@login_required
@require_POST
def cohost_add(request, code):
    """Make someone who is in the Space a co-host, by handle (host only)."""
    form = HandleForm(request.POST)

    def run(space):
        if not form.is_valid():
            raise ValidationError(_("Give the handle of someone in this Space."))
        handle = form.cleaned_data["handle"].strip().lstrip("@")
        seat = selectors.present_seat_by_handle(space, handle)
        if seat is None:
            raise ValidationError(
                _("@%(handle)s is not in this Space right now.") % {"handle": handle}
            )
        services.cohost_add(space=space, actor=request.user, participant_id=seat.pk)
        return _("@%(handle)s is now a co-host.") % {"handle": seat.user.handle}

    return _manage_action(request, code, run)


@login_required
@require_POST
def cohost_remove(request, code, participant_id):
    """Take co-hosting away (host only)."""

    def run(space):
        services.cohost_remove(space=space, actor=request.user, participant_id=participant_id)
        return _("Co-host removed.")

    return _manage_action(request, code, run)


@login_required
@require_POST
def pin_add(request, code):
    """Pin a tweet at the top of the Space."""
    form = PinForm(request.POST)

    def run(space):
        if not form.is_valid():
            raise ValidationError(form.errors["tweet"])
        services.pin_add(space=space, actor=request.user, tweet_id=form.cleaned_data["tweet"])
        return _("Pinned.")

    return _manage_action(request, code, run)


@login_required
@require_POST
def pin_remove(request, code, tweet_id):
    """Unpin a tweet."""

    def run(space):
        services.pin_remove(space=space, actor=request.user, tweet_id=tweet_id)
        return _("Unpinned.")

    return _manage_action(request, code, run)
