"""The egress stage: the room mix, as RTP Opus, packaged as HLS (fMP4) in storage.

`HlsEgress` (hls.py) takes packets in process (the embedded server) or from
`RtpReceiver` (rtp.py, for Janus's `rtp_forward`); `fmp4.py` writes the boxes.
Files go through Django's storage API: `storage()` below. See docs/media.md.
"""

import contextlib

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils.module_loading import import_string

# What a storage raises when it cannot read or write: OSError for files; botocore's own
# errors (not OSErrors) for S3 (django-storages), e.g. the endpoint is unreachable.
STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError,)
with contextlib.suppress(ImportError):
    from botocore.exceptions import BotoCoreError, ClientError

    STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


def storage():
    """Where HLS files go: `EGRESS_STORAGE` (an alias in STORAGES, or a dotted path to a
    Storage class), else the private directory EGRESS_ROOT (never the public uploads)."""
    name = getattr(settings, "EGRESS_STORAGE", None)
    if not name:
        return FileSystemStorage(location=settings.EGRESS_ROOT, base_url=None)
    if name in settings.STORAGES:
        return storages[name]
    return import_string(name)()
