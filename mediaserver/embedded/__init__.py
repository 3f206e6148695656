"""The embedded backend: `manage.py runmedia`, an aiortc process, over the channel layer."""
