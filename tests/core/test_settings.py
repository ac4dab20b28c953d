"""Settings read from the environment, and `check --deploy` with the production environment."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

from core.checks import letter_font_check

ROOT = Path(__file__).resolve().parents[2]
UNUSED_DB = "postgres://verification@127.0.0.1:1/unused"  # parsed, never connected to


def _environment(tmp_path, **values) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "REDIS_URL"))}
    env.update({"DATABASE_URL": UNUSED_DB, "DATA_DIR": str(tmp_path / "data"), **values})
    return env


def _settings_under(tmp_path, names: list[str], **values) -> dict:
    code = ("import json, django; from django.conf import settings; django.setup(); "
            f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}, default=str))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_environment(
        tmp_path, DJANGO_SETTINGS_MODULE="config.settings", **values), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_session_and_lockout_settings_come_from_the_environment(tmp_path):
    got = _settings_under(
        tmp_path, ["SESSION_COOKIE_AGE", "SESSION_SAVE_EVERY_REQUEST", "AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME"],
        SESSION_IDLE_MINUTES="7", LOGIN_FAILURE_LIMIT="3", LOGIN_LOCKOUT_MINUTES="30")
    assert got == {"SESSION_COOKIE_AGE": 420, "SESSION_SAVE_EVERY_REQUEST": True, "AXES_FAILURE_LIMIT": 3,
                   "AXES_COOLOFF_TIME": 0.5}


def test_safe_defaults_debug_off_and_a_generated_secret_kept_outside_the_repository(tmp_path):
    got = _settings_under(tmp_path, ["DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE"])
    assert got["DEBUG"] is False
    assert got["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1"]
    assert got["SESSION_COOKIE_SECURE"] is False  # plain HTTP works for development
    assert got["SECRET_KEY"] == (tmp_path / "data" / "secret_key").read_text().strip()
    assert len(got["SECRET_KEY"]) >= 50


def test_secret_key_file_is_honoured(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("k" * 60 + "\n")
    assert _settings_under(tmp_path, ["SECRET_KEY"], SECRET_KEY_FILE=str(key_file)) == {"SECRET_KEY": "k" * 60}


def _production(tmp_path) -> dict:
    audit_key = tmp_path / "audit_key"
    audit_key.write_text(secrets.token_urlsafe(60))
    return _environment(tmp_path, DJANGO_HTTPS="1", DJANGO_DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60),
                        ALLOWED_HOSTS="example.org", AUDIT_KEY_FILE=str(audit_key))


def test_check_deploy_reports_nothing_with_the_production_environment(tmp_path):
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                         cwd=ROOT, env=_production(tmp_path), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues (0 silenced)." in out.stdout


def test_check_deploy_does_warn_without_https(tmp_path):
    # The test above means something only if the deploy checks do run here.
    env = _production(tmp_path)
    env.pop("DJANGO_HTTPS")
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert "security.W004" in out.stderr + out.stdout  # no HSTS


def test_check_deploy_warns_when_the_audit_key_would_be_generated_inside_the_container(tmp_path):
    env = _production(tmp_path)
    env.pop("AUDIT_KEY_FILE")
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert "core.W002" in out.stderr + out.stdout


def test_the_audit_key_comes_from_the_setting_the_file_or_a_generated_file(tmp_path, settings):
    from core.audit import audit_key

    settings.DATA_DIR, settings.AUDIT_KEY, settings.AUDIT_KEY_FILE = tmp_path / "data", "", ""
    generated = audit_key()
    assert len(generated) >= 40 and (tmp_path / "data" / "audit_key").read_bytes().strip() == generated
    assert oct((tmp_path / "data" / "audit_key").stat().st_mode & 0o777) == "0o600"
    assert audit_key() == generated  # kept, not made anew
    (tmp_path / "key").write_text("from-a-secret-file\n")
    settings.AUDIT_KEY_FILE = str(tmp_path / "key")
    assert audit_key() == b"from-a-secret-file"
    settings.AUDIT_KEY = "from-the-environment"
    assert audit_key() == b"from-the-environment"


@pytest.mark.django_db
def test_healthz_stays_on_plain_http_behind_the_https_redirect(tmp_path, client, settings):
    names = ["SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT", "SECURE_PROXY_SSL_HEADER"]
    production = _settings_under(tmp_path, names, DJANGO_HTTPS="1", SECRET_KEY="x" * 60)
    assert production["SECURE_SSL_REDIRECT"] is True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = production["SECURE_REDIRECT_EXEMPT"]
    settings.SECURE_PROXY_SSL_HEADER = tuple(production["SECURE_PROXY_SSL_HEADER"])
    settings.REDIS_URL = ""
    assert client.get("/healthz").status_code == 200  # the orchestrator probes the container directly
    assert client.get("/login/").status_code == 301
    assert client.get("/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_a_missing_letter_font_raises_the_core_w001_warning(settings, tmp_path):
    settings.LETTER_FONT_PATH = str(tmp_path / "no-such-font.ttc")
    warnings = [m for m in run_checks() if m.id == "core.W001"]
    assert len(warnings) == 1
    assert "no-such-font.ttc" in warnings[0].msg
    assert "fonts-wqy-zenhei" in warnings[0].hint


def test_the_installed_letter_font_raises_no_warning(settings):
    assert Path(settings.LETTER_FONT_PATH).exists(), "apt-get install fonts-wqy-zenhei (.ci/run does this)"
    assert letter_font_check(None) == []
