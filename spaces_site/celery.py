"""The Celery app: Redis broker from REDIS_URL, beat schedule in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spaces_site.settings")

app = Celery("spaces_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
