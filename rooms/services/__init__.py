"""Writes for Spaces: the only place that changes a room and emits its events, after commit.

Split by concern: `space` (create, start, end, the host away, who may speak), `presence`
(join, leave, heartbeats, counts), `stage` (hands, invitations, mutes, removals, co-hosts,
audio access), `pins` and `reactions`. Events and their numbering are `rooms.events`; who
may do what is `rooms.access`. Callers use the names below (`services.space_start(...)`);
the modules import each other directly, never through this package.
"""

from rooms.services.pins import pin_add, pin_remove
from rooms.services.presence import (
    counts_announce,
    listed_set,
    live_bar_counts_refresh,
    participant_seen,
    presence_sweep,
    space_join,
    space_leave,
)
from rooms.services.reactions import reaction_check, reaction_send, reactions_flush
from rooms.services.space import (
    host_away_check,
    space_create,
    space_end,
    space_host_away_end,
    space_host_away_warn,
    space_start,
    speak_policy_set,
)
from rooms.services.stage import (
    cohost_add,
    cohost_remove,
    hand_lower,
    hand_raise,
    invite_answer,
    media_access,
    participant_remove,
    request_approve,
    request_decline,
    self_mute_set,
    speaker_demote,
    speaker_invite,
    speaker_mute,
    stage_leave,
)

__all__ = [
    "cohost_add",
    "cohost_remove",
    "counts_announce",
    "hand_lower",
    "hand_raise",
    "host_away_check",
    "invite_answer",
    "listed_set",
    "live_bar_counts_refresh",
    "media_access",
    "participant_remove",
    "participant_seen",
    "pin_add",
    "pin_remove",
    "presence_sweep",
    "reaction_check",
    "reaction_send",
    "reactions_flush",
    "request_approve",
    "request_decline",
    "self_mute_set",
    "space_create",
    "space_end",
    "space_host_away_end",
    "space_host_away_warn",
    "space_join",
    "space_leave",
    "space_start",
    "speak_policy_set",
    "speaker_demote",
    "speaker_invite",
    "speaker_mute",
    "stage_leave",
]
