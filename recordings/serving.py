"""Moved to mediaserver/egress/serving.py (review 18). Only recordings/clips_views.py still
imports it here: delete this file when that import is changed at merge."""

from mediaserver.egress.serving import stored_file_response

__all__ = ["stored_file_response"]
