"""The health check, and settings that must hold in every deployment."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.db import OperationalError, connections

from reunify.conftest import make_user

REUNIFY = Path(sys.prefix, "bin", "reunify")


# --- /healthz ------------------------------------------------------------------------------


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_does_not(client, db):
    # We cannot take the test database down, so its connection refuses instead.
    with mock.patch.object(
        connections["default"], "cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert "refused" not in response.content.decode()


def test_healthz_only_answers_get(client, db):
    assert client.post("/healthz").status_code == 405


# --- passwords -----------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2(db):
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert get_hasher("default").algorithm == "argon2"

    user = make_user("nora")

    assert user.password.startswith("argon2$argon2id$")


def test_passwords_must_be_at_least_twelve_characters():
    lengths = [
        v["OPTIONS"]["min_length"]
        for v in settings.AUTH_PASSWORD_VALIDATORS
        if v["NAME"].endswith("MinimumLengthValidator")
    ]
    assert lengths == [12]


# --- deployment ----------------------------------------------------------------------------


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("REUNIFY_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(REUNIFY_VAR_DIR=str(tmp_path), **extra)
    return env


def production(tmp_path: Path) -> dict[str, str]:
    return environment(
        tmp_path,
        REUNIFY_SECRET_KEY=secrets.token_urlsafe(64),
        REUNIFY_ALLOWED_HOSTS="reunify.example.org",
        REUNIFY_SSL_REDIRECT="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
    )


def reunify(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our own console script, fixed arguments
        [str(REUNIFY), *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_in_production(tmp_path):
    result = reunify("check", "--deploy", "--fail-level", "WARNING", env=production(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("change", "warning"),
    [
        ({"REUNIFY_DEBUG": "1"}, "security.W018"),
        ({"REUNIFY_SSL_REDIRECT": "0"}, "security.W008"),
        ({"REUNIFY_SECRET_KEY": "short"}, "security.W009"),
    ],
    ids=["debug-on", "no-https-redirect", "weak-secret-key"],
)
def test_check_deploy_catches_an_unsafe_production_setting(tmp_path, change, warning):
    result = reunify(
        "check", "--deploy", "--fail-level", "WARNING", env={**production(tmp_path), **change}
    )

    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = environment(tmp_path, REUNIFY_PRODUCTION="1")

    result = reunify("check", env=env)

    assert result.returncode != 0
    assert "REUNIFY_SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize("value", ["maybe", "ture", "2"])
def test_a_yes_no_knob_refuses_a_value_it_does_not_understand(tmp_path, value):
    result = reunify("check", env={**production(tmp_path), "REUNIFY_SSL_REDIRECT": value})

    assert result.returncode != 0
    assert f"REUNIFY_SSL_REDIRECT={value!r} is neither yes nor no" in result.stderr


@pytest.mark.parametrize(("value", "redirects"), [("off", False), (" YES ", True), ("", False)])
def test_a_yes_no_knob_reads_its_words_and_an_empty_one_is_its_default(tmp_path, value, redirects):
    script = "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT)"
    env = {**production(tmp_path), "REUNIFY_SSL_REDIRECT": value}
    result = reunify("shell", "-c", script, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(redirects)


def test_without_database_url_an_sqlite_file_under_the_var_dir_is_used(tmp_path):
    script = (
        "import json; from django.conf import settings; d = settings.DATABASES['default']; "
        "print(json.dumps([d['ENGINE'], str(d['NAME']), d['OPTIONS']]))"
    )

    result = reunify("shell", "-c", script, env=environment(tmp_path))

    assert result.returncode == 0, result.stderr
    engine, name, options = json.loads(result.stdout.strip().splitlines()[-1])
    assert engine == "django.db.backends.sqlite3"
    assert name == str(tmp_path / "reunify.sqlite3")
    assert options["transaction_mode"] == "IMMEDIATE"


def test_check_deploy_flags_the_development_secret_key(tmp_path):
    env = production(tmp_path)
    del env["REUNIFY_SECRET_KEY"]

    result = reunify("check", "--deploy", env=env)

    assert result.returncode != 0
    assert "accounts.E001" in result.stderr
    assert "REUNIFY_SECRET_KEY is not set" in result.stderr


def test_check_deploy_accepts_a_secret_key_of_the_practice(tmp_path):
    result = reunify("check", "--deploy", env=production(tmp_path))

    assert "accounts.E001" not in result.stdout + result.stderr


def test_outside_debug_the_app_refuses_to_serve_on_the_development_key(tmp_path):
    env = {**environment(tmp_path), "DJANGO_SETTINGS_MODULE": "reunify.settings"}

    served = reunify("serve", "--port", "8999", env=env)
    imported = subprocess.run(  # the WSGI application gunicorn loads
        [sys.executable, "-c", "import reunify.wsgi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert served.returncode == 1
    assert "REUNIFY_SECRET_KEY is not set" in served.stderr
    assert "Traceback" not in served.stderr
    assert imported.returncode != 0
    assert "REUNIFY_SECRET_KEY is not set" in imported.stderr


def test_in_debug_the_development_key_serves(tmp_path):
    env = {**environment(tmp_path), "REUNIFY_DEBUG": "1"}
    script = "from reunify.accounts.checks import refuse_development_key as r; r(); print('ok')"

    result = reunify("shell", "-c", script, env=env)

    assert result.stdout.strip().endswith("ok")
    assert result.returncode == 0
