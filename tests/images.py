"""Image files for upload tests, made in memory."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_upload(name="avatar.png", size=(120, 80), fmt="PNG", color=(124, 58, 237)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def bomb_upload():
    """A small PNG that declares 20,000 × 20,000 pixels: a decompression bomb."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG", optimize=True)
    return SimpleUploadedFile("bomb.png", out.getvalue(), content_type="image/png")
