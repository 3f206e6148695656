from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import profile_get
from timeline import selectors, services
from timeline.access import access_tweet
from timeline.cards import cards_attach
from timeline.forms import TweetForm


@require_GET
def home(request):
    """The home timeline for a signed-in person, a welcome page for everyone else."""
    if not request.user.is_authenticated:
        return render(request, "timeline/welcome.html")
    try:
        page = selectors.home_timeline(user=request.user, before=request.GET.get("before"))
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    if request.htmx_target == "more-tweets":
        return render(request, "timeline/_tweet_page.html", {"page": page})
    # The live bar above the timeline is rooms' template tag: timeline never imports rooms.
    return render(request, "timeline/home.html", {"page": page, "form": TweetForm()})


@require_GET
def profile(request, handle):
    """A person's profile with their tweets, newest first."""
    person = profile_get(handle=handle, viewer=request.user)
    hidden = getattr(person, "viewer_blocked", False) or getattr(person, "blocked_viewer", False)
    page = (
        None
        if hidden
        else selectors.profile_timeline(
            author=person, viewer=request.user, before=request.GET.get("before")
        )
    )
    context = {"person": person, "page": page, "hidden": hidden}
    if request.htmx_target == "more-tweets":
        return render(request, "timeline/_tweet_page.html", context)
    return render(request, "timeline/profile.html", context)


@login_required
@require_POST
def tweet_create(request):
    """Post a tweet or a reply; htmx gets the new card and a fresh compose box."""
    form = TweetForm(request.POST)
    reply_to = None
    tweet = None
    if form.is_valid():
        try:
            if form.cleaned_data["reply_to"]:
                reply_to = access_tweet(tweet_id=form.cleaned_data["reply_to"], viewer=request.user)
            tweet = services.tweet_create(
                author=request.user, text=form.cleaned_data["text"], reply_to=reply_to
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("text", message)
    if tweet is None:
        context = {"form": form, "reply_to": reply_to}
        if request.htmx:
            return render(request, "timeline/_compose.html", context, status=400)
        return render(request, "timeline/compose_error.html", context, status=400)
    if request.htmx:
        fresh = TweetForm(initial={"reply_to": reply_to.pk if reply_to else None})
        if reply_to is not None:
            # Read again: the page's count of replies is swapped for the new one.
            reply_to = access_tweet(tweet_id=reply_to.pk, viewer=request.user)
        tweet = access_tweet(tweet_id=tweet.pk, viewer=request.user)
        cards_attach([tweet], viewer=request.user)
        return render(
            request,
            "timeline/_compose_done.html",
            {"form": fresh, "tweet": tweet, "reply_to": reply_to},
        )
    return redirect(reply_to or "timeline:home")


@require_GET
def tweet_detail(request, tweet_id):
    """A tweet with its replies and, for signed-in people, a reply box."""
    tweet = access_tweet(tweet_id=tweet_id, viewer=request.user)
    replies = selectors.tweet_replies(tweet=tweet, viewer=request.user)
    cards_attach([tweet], viewer=request.user)
    form = TweetForm(initial={"reply_to": tweet.pk})
    return render(
        request,
        "timeline/tweet.html",
        {"tweet": tweet, "replies": replies, "form": form, "reply_to": tweet},
    )
