import os
import subprocess
import sys

from django.conf import settings


def _check_deploy(**env):
    """Run `manage.py check --deploy` in a fresh process with these environment variables."""
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "spaces.example.com",
    }
    environment.pop("DJANGO_SECRET_KEY", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = _check_deploy(DJANGO_SECRET_KEY="k3v-" + "x9Q!p" * 12)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_weak_key_is_flagged_by_the_checklist():
    # Without any key production refuses to start (tests/ops/test_settings.py).
    result = _check_deploy(DJANGO_SECRET_KEY="django-insecure-short")

    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout
