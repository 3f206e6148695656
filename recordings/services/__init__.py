"""Writes for recordings, split by concern: `recording` (its life along the Space's, the
host's delete and trim, expiry); replays and clips add theirs beside it. Callers use the
names below (`services.recording_trim(...)`); the modules import each other directly,
never through this package.
"""

from recordings.services.clips import (
    clip_create,
    clip_create_live,
    clip_delete,
    clip_files_delete,
    clip_keep,
)
from recordings.services.recording import (
    recording_delete,
    recording_fail,
    recording_files_delete,
    recording_measure,
    recording_start,
    recording_trim,
    recordings_expire,
    space_files_delete,
    space_files_settle,
)
from recordings.services.replay import (
    recording_play,
    recording_waveform,
    replay_live_remember,
    replay_memory_clear,
    replay_pins_note,
    replay_reactions_note,
    replay_speaking_note,
    replay_speaking_unchanged,
    replay_turns_close,
)

__all__ = [
    "clip_create",
    "clip_create_live",
    "clip_delete",
    "clip_files_delete",
    "clip_keep",
    "recording_delete",
    "recording_fail",
    "recording_files_delete",
    "recording_measure",
    "recording_play",
    "recording_start",
    "recording_trim",
    "recording_waveform",
    "recordings_expire",
    "replay_live_remember",
    "replay_memory_clear",
    "replay_pins_note",
    "replay_reactions_note",
    "replay_speaking_note",
    "replay_speaking_unchanged",
    "replay_turns_close",
    "space_files_delete",
    "space_files_settle",
]
