"""Reads for clips: the cards under tweets that link to one."""

import re

from accounts.models import Block
from recordings.models import Clip
from rooms.models import SpaceBan

# A clip's link in a tweet's text: /c/<code>/ on any host (the code alone is the key).
CLIP_LINK = re.compile(r"/c/([A-Za-z0-9]{10})(?![A-Za-z0-9])")


def clip_cards(*, tweets, viewer) -> dict[int, list[dict]]:
    """Clip cards for a page of tweets (timeline.cards provider): one query for the clips
    linked from the whole page, one for the hosts kept away from the viewer (blocks
    either way, bans); none when
    no tweet links to a clip."""
    wanted = {tweet.pk: CLIP_LINK.findall(tweet.text or "") for tweet in tweets}
    codes = {code for found in wanted.values() for code in found}
    if not codes:
        return {}
    clips = {
        clip.code: clip
        for clip in Clip.objects.select_related("recording__space__host").filter(
            code__in=codes, state=Clip.State.READY
        )
        if clip.playable
    }
    if clips and viewer is not None and viewer.is_authenticated:
        hosts = {clip.recording.space.host_id for clip in clips.values()}
        blocked = Block.objects.filter(blocker=viewer, blocked_id__in=hosts)
        blocking = Block.objects.filter(blocked=viewer, blocker_id__in=hosts)
        banned = SpaceBan.objects.filter(user=viewer, host_id__in=hosts)
        away = set(
            blocked.values_list("blocked_id", flat=True).union(
                blocking.values_list("blocker_id", flat=True),
                banned.values_list("host_id", flat=True),
            )
        )
        clips = {c: clip for c, clip in clips.items() if clip.recording.space.host_id not in away}
    cards = {}
    for tweet_id, found in wanted.items():
        seen = []
        for code in found:
            if code in clips and code not in seen:
                seen.append(code)
        if seen:
            cards[tweet_id] = [
                {"template": "recordings/_clip_card.html", "clip": clips[code]} for code in seen
            ]
    return cards
