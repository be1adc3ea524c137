"""HTTPS and browser security: `check --deploy` is clean in a production-like environment, the
demo stays plain HTTP, and the console and API docs carry the Content-Security-Policy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from .support import inline_code

ROOT = Path(settings.BASE_DIR)
# Production refuses to start without a cache every process shares (nothing connects to it here).
PRODUCTION_CACHE = "rediscache://127.0.0.1:6379/9"


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    # Only what a deployment sets: nothing of this machine's .env or of the test run's settings.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_", "DEBUG"))}
    env.update(environment)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_given_a_production_environment_when_deploy_checks_run_then_there_is_no_warning():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="oms.example.com", CACHE_URL=PRODUCTION_CACHE,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


PRINT_SETTINGS = (
    "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
    "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
)


def test_the_zero_setup_demo_stays_on_plain_http_and_production_defaults_are_secure():
    demo = manage("shell", "-v", "0", "-c", PRINT_SETTINGS)
    production = manage(
        "shell", "-v", "0", "-c", PRINT_SETTINGS,
        DEBUG="false", SECRET_KEY=secrets.token_urlsafe(64), SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        CACHE_URL=PRODUCTION_CACHE,
    )

    assert demo.stdout.split() == ["False", "False", "False", "0", "None"], demo.stderr
    assert production.stdout.strip() == "True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')", production.stderr


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


EXPECTED = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/api/redoc/"])
def test_console_and_api_docs_carry_the_content_security_policy(client, path):
    response = client.get(path)
    policy = directives(response)

    assert response.status_code == 200
    assert {name: policy.get(name) for name in EXPECTED} == EXPECTED
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_signed_in_console_runs_only_its_own_files_or_what_carries_the_pages_nonce(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x"))

    response = client.get(reverse("admin:index"))
    policy = directives(response)

    for directive in ("script-src", "style-src"):
        assert policy[directive][0] == "'self'"
        assert all(source.startswith("'nonce-") for source in policy[directive][1:])  # only when a template asked for one
    assert inline_code(response.content.decode()) == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_pages_run_no_inline_script_and_load_nothing_from_a_cdn(client, path):
    html = client.get(path).content.decode()

    assert [piece for piece in inline_code(html) if "script" in piece] == []
    assert "https://" not in html.split("<body>")[0]  # no web fonts or stylesheets from elsewhere


@pytest.mark.django_db
def test_swagger_uis_start_up_script_is_served_as_a_script_file(client):
    response = client.get("/api/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()
