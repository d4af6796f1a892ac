"""With DEBUG off the portal is configured for HTTPS only, and `manage.py check --deploy` is clean.

As in tests/test_settings_env.py, each case starts a new interpreter with a clean environment:
only that shows what a production process gets from it.
"""

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

REPORT = """
import json
from django.conf import settings
print(json.dumps({
    "debug": settings.DEBUG,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "session_cookie_samesite": settings.SESSION_COOKIE_SAMESITE,
    "language_cookie_secure": settings.LANGUAGE_COOKIE_SECURE,
    "language_cookie_httponly": settings.LANGUAGE_COOKIE_HTTPONLY,
    "language_cookie_samesite": settings.LANGUAGE_COOKIE_SAMESITE,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "redirect_exempt": settings.SECURE_REDIRECT_EXEMPT,
    "hsts_seconds": settings.SECURE_HSTS_SECONDS,
    "hsts_subdomains": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "proxy_ssl_header": settings.SECURE_PROXY_SSL_HEADER,
    "x_frame_options": settings.X_FRAME_OPTIONS,
    "nosniff": settings.SECURE_CONTENT_TYPE_NOSNIFF,
    "middleware": settings.MIDDLEWARE,
}))
"""


def production_environment(tmp_path, **variables) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "cpp_portal.settings",
        "CPP_LOCAL_DIR": str(tmp_path / "local"),
        "SECRET_KEY": secrets.token_urlsafe(50),  # 67 random characters, as an operator would make
        "ALLOWED_HOSTS": "portal.example.com",
        "CPP_CREDENTIALS_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        **variables,
    }


def run(tmp_path, args: list[str], **variables) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=production_environment(tmp_path, **variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_of(tmp_path, **variables) -> dict:
    result = run(tmp_path, ["-c", REPORT], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_is_clean_in_a_production_environment(tmp_path):
    result = run(tmp_path, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "ERRORS" not in output, output


SES = {"EMAIL_BACKEND": "django_ses.SESBackend", "DEFAULT_FROM_EMAIL": "CPP Portal <cpp@portal.example.com>"}


def test_check_deploy_is_clean_when_sending_through_ses_with_the_portals_topic(tmp_path):
    topic = "arn:aws:sns:eu-west-1:123456789012:cpp-ses-events"
    result = run(
        tmp_path,
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **SES,
        AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS=topic,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "ERRORS" not in output, output


def test_sending_through_ses_without_trusted_topics_refuses_to_start(tmp_path):
    # migrate runs the checks, and the compose stack starts nothing before migrate has succeeded.
    for command in (["check", "--deploy"], ["migrate", "--check"]):
        result = run(tmp_path, ["manage.py", *command], **SES)
        assert result.returncode != 0
        assert "notifications.E001" in result.stderr and "AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS" in result.stderr


def test_production_cookies_are_secure_and_the_session_cookie_is_out_of_reach_of_scripts(tmp_path):
    got = settings_of(tmp_path)
    assert got["debug"] is False
    assert got["session_cookie_secure"] is True
    assert got["csrf_cookie_secure"] is True
    assert got["session_cookie_httponly"] is True


def test_production_language_cookie_is_secure_and_same_site_like_the_session_cookie(tmp_path):
    got = settings_of(tmp_path)
    assert got["language_cookie_secure"] is True
    assert got["language_cookie_httponly"] is True
    assert got["language_cookie_samesite"] == got["session_cookie_samesite"] == "Lax"


def test_production_sends_everyone_to_https_and_keeps_them_there(tmp_path):
    got = settings_of(tmp_path)
    assert got["ssl_redirect"] is True
    assert got["redirect_exempt"] == [r"^healthz$"]  # load balancers probe over http inside the network
    assert got["hsts_seconds"] >= 365 * 24 * 3600
    assert got["hsts_subdomains"] is True
    assert got["nosniff"] is True


def test_production_pages_cannot_be_framed(tmp_path):
    got = settings_of(tmp_path)
    assert got["x_frame_options"] == "DENY"
    assert "django.middleware.clickjacking.XFrameOptionsMiddleware" in got["middleware"]
    assert "django.middleware.csrf.CsrfViewMiddleware" in got["middleware"]
    assert got["middleware"][0] == "django.middleware.security.SecurityMiddleware"


def test_the_forwarded_protocol_is_trusted_only_behind_a_tls_proxy(tmp_path):
    # Trusting X-Forwarded-Proto from anyone would let a client claim https on a plain request.
    assert settings_of(tmp_path)["proxy_ssl_header"] is None
    got = settings_of(tmp_path, BEHIND_TLS_PROXY="true")
    assert got["proxy_ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.parametrize("debug", ["1", "true"])
def test_debug_keeps_plain_http_working_for_make_run(tmp_path, debug):
    got = settings_of(tmp_path, DEBUG=debug)
    assert got["ssl_redirect"] is False
    assert got["hsts_seconds"] == 0
    assert got["session_cookie_secure"] is False
    assert got["language_cookie_secure"] is False


def test_an_operator_can_serve_plain_http_on_purpose(tmp_path):
    got = settings_of(tmp_path, SECURE_SSL_REDIRECT="false", SECURE_COOKIES="false")
    assert got["ssl_redirect"] is False
    assert got["session_cookie_secure"] is False


def test_a_production_process_redirects_http_to_https_but_answers_the_health_probe(tmp_path):
    probe = """
from django.test import Client
client = Client(HTTP_HOST="portal.example.com")
login = client.get("/login/")
https = client.get("/", secure=True)  # a redirect to sign in: no page (and no static manifest) needed
import json
print(json.dumps([login.status_code, login["Location"], https.status_code, https.get("Strict-Transport-Security", ""),
                  https.get("X-Frame-Options", ""), client.get("/healthz").status_code]))
"""
    code = f"import django; django.setup()\n{probe}"
    result = run(tmp_path, ["-c", code])
    assert result.returncode == 0, result.stderr
    status, location, https_status, hsts, frame, health = json.loads(result.stdout.strip().splitlines()[-1])
    assert (status, location) == (301, "https://portal.example.com/login/")
    assert https_status == 302
    assert hsts == "max-age=31536000; includeSubDomains"
    assert frame == "DENY"
    assert health in (200, 503)  # answered (healthy or not), never redirected
