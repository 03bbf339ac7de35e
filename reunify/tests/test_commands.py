"""The `reunify` command line: staff accounts, API tokens, and Django's own commands."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from reunify.accounts.models import ApiToken, Role, User
from reunify.accounts.services import token_authenticate
from reunify.audit.models import Event

REUNIFY = Path(sys.prefix, "bin", "reunify")
STRONG = "a long and unusual passphrase 93"


def run(*args: str, stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> str:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- createuser ----------------------------------------------------------------------------


def test_createuser_reads_the_password_from_stdin(supervisor, monkeypatch):
    output = run(
        "createuser",
        "nora",
        "--role",
        "therapist",
        "--first-name",
        "Nora",
        "--supervisor",
        "supervisor",
        "--password-stdin",
        stdin=STRONG + "\n",
        monkeypatch=monkeypatch,
    )

    assert output.startswith("Created therapist nora.\nEnrolment code for nora: ")
    nora = User.objects.get(username="nora")
    assert nora.role == Role.THERAPIST
    assert nora.supervisor == supervisor
    assert nora.first_name == "Nora"
    assert nora.check_password(STRONG)
    created, issued = Event.objects.order_by("-id")[1], Event.objects.order_by("-id")[0]
    assert (created.action, created.actor, created.source) == ("user.create", None, "cli")
    assert (issued.action, issued.source) == ("totp.enrolment_code_issue", "cli")


def test_createuser_refuses_a_weak_password(db, monkeypatch):
    with pytest.raises(CommandError, match="too short"):
        run("createuser", "nora", "--password-stdin", stdin="abc\n", monkeypatch=monkeypatch)

    assert not User.objects.filter(username="nora").exists()
    assert not Event.objects.exists()


def test_createuser_refuses_an_unknown_supervisor(db, monkeypatch):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run(
            "createuser",
            "nora",
            "--supervisor",
            "ghost",
            "--password-stdin",
            stdin=STRONG + "\n",
            monkeypatch=monkeypatch,
        )

    assert not User.objects.filter(username="nora").exists()


def test_createuser_refuses_a_supervisor_who_is_not_one(therapist, monkeypatch):
    with pytest.raises(CommandError, match="therapist is not a clinical supervisor"):
        run(
            "createuser",
            "nora",
            "--supervisor",
            "therapist",
            "--password-stdin",
            stdin=STRONG + "\n",
            monkeypatch=monkeypatch,
        )


def test_createuser_refuses_an_unknown_role(db):
    with pytest.raises(CommandError, match="invalid choice: 'wizard'"):
        call_command("createuser", "merlin", "--role", "wizard", "--password-stdin")


def test_createuser_refuses_a_taken_username(therapist, monkeypatch):
    with pytest.raises(CommandError, match="already taken"):
        run("createuser", "therapist", "--password-stdin", stdin=STRONG, monkeypatch=monkeypatch)


def test_createuser_asks_twice_when_typing_the_password(db, monkeypatch):
    answers = iter([STRONG, STRONG + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError, match="The passwords do not match"):
        call_command("createuser", "nora")

    assert not User.objects.filter(username="nora").exists()


# --- token ---------------------------------------------------------------------------------


def test_token_create_prints_a_token_that_authenticates(therapist):
    key = run("token", "create", "therapist", "--label", "phone").strip()

    assert token_authenticate(key) == therapist
    token = ApiToken.objects.get()
    assert token.label == "phone"
    assert token.key_hash != key
    assert key not in str(list(ApiToken.objects.values()))
    assert key not in str(list(Event.objects.values()))
    assert Event.objects.order_by("-id").first().source == "cli"


def test_token_list_shows_prefixes_and_state_never_the_token(therapist):
    key = run("token", "create", "therapist", "--label", "phone").strip()

    listing = run("token", "list", "therapist")

    assert listing.split() == [key[:10], "active", "phone"]
    assert key not in listing


def test_token_revoke_stops_the_token(therapist):
    key = run("token", "create", "therapist").strip()

    output = run("token", "revoke", key[:10])

    assert output.strip() == f"Revoked {key[:10]}."
    assert token_authenticate(key) is None
    assert run("token", "list", "therapist").split()[1] == "revoked"


def test_token_revoke_needs_one_active_token(therapist):
    key = run("token", "create", "therapist").strip()
    run("token", "revoke", key[:10])

    with pytest.raises(CommandError, match="No single active token starts with"):
        run("token", "revoke", key[:10])
    with pytest.raises(CommandError, match="No single active token starts with"):
        run("token", "revoke", "rfy_nothing")


def test_token_create_needs_an_active_user(therapist):
    with pytest.raises(CommandError, match="No active user named 'ghost'"):
        run("token", "create", "ghost")
    User.objects.filter(pk=therapist.pk).update(is_active=False)
    with pytest.raises(CommandError, match="No active user named 'therapist'"):
        run("token", "create", "therapist")

    assert not ApiToken.objects.exists()


# --- the console script --------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """An environment for `reunify` in a subprocess, on a throwaway SQLite file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REUNIFY_")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'reunify.sqlite3'}",
        REUNIFY_VAR_DIR=str(tmp_path),
        REUNIFY_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE="reunify.settings",
    )
    return env


def reunify(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our own console script, fixed arguments
        [str(REUNIFY), *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_reunify_console_script_is_installed():
    assert REUNIFY.is_file()
    assert os.access(REUNIFY, os.X_OK)


def test_reunify_passes_django_commands_through(cli_env):
    result = reunify("check", env=cli_env)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_reunify_lists_its_own_commands(cli_env):
    result = reunify("help", env=cli_env)

    assert result.returncode == 0, result.stderr
    assert "Type 'reunify help <subcommand>'" in result.stdout
    for command in ("audit", "createuser", "token", "serve", "migrate"):
        assert f"    {command}\n" in result.stdout


def test_reunify_fails_loudly_on_a_bad_command(cli_env):
    result = reunify("audit", "erase", env=cli_env)

    assert result.returncode != 0
    assert "invalid choice: 'erase'" in result.stderr
