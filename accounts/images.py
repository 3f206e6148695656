"""Avatar uploads: checked before decoding, then re-encoded through Pillow."""

import io
import uuid
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def _too_many_pixels() -> ValidationError:
    side = int(settings.AVATAR_MAX_PIXELS**0.5)
    return ValidationError(
        _("The image has too many pixels: at most %(side)s × %(side)s.") % {"side": side},
        code="avatar_too_many_pixels",
    )


def avatar_from_upload(upload) -> ContentFile:
    """Return a square JPEG made from an uploaded image, or raise ValidationError."""
    if upload.size > settings.AVATAR_MAX_BYTES:
        raise ValidationError(
            _("The image is too large: at most %(size)s.")
            % {"size": filesizeformat(settings.AVATAR_MAX_BYTES)},
            code="avatar_too_large",
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # open() reads only the header: the size is checked before any pixel is decoded.
            image = Image.open(upload)
            if image.format not in ALLOWED_FORMATS:
                raise ValidationError(
                    _("Upload a JPEG, PNG, GIF or WebP image."), code="avatar_format"
                )
            width, height = image.size
            if width * height > settings.AVATAR_MAX_PIXELS:
                raise _too_many_pixels()
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("This file is not an image we can read."), code="avatar_not_image"
        ) from None

    image = ImageOps.exif_transpose(image).convert("RGB")
    side = settings.AVATAR_SIZE
    image = ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
