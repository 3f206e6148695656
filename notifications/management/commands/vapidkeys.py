"""`manage.py vapidkeys`: a new VAPID key pair for Web Push, as settings lines."""

import base64

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management.base import BaseCommand


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_pair() -> tuple[str, str]:
    """(private, public): the raw P-256 private key and the uncompressed public point,
    base64url-encoded, as pywebpush and browsers' applicationServerKey take them."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64url(private), b64url(public)


class Command(BaseCommand):
    help = "Generate a VAPID key pair for Web Push; put the lines in the environment."

    def handle(self, *args, **options):
        private, public = new_pair()
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
