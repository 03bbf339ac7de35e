"""Ending a user's sessions: after a second-factor reset, a deactivation or `sessions end`, every
session the user has open is logged out at its next request; no one else's is."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import ApiToken, User
from reunify.accounts.services import (
    token_authenticate,
    token_create,
    user_deactivate,
    user_sessions_end,
)
from reunify.accounts.tests.test_login import (
    START,
    STEP,
    code_step,
    events,
    is_logged_in,
    password_step,
    text,
)
from reunify.conftest import enrol_authenticator, last_event, login

ENDED = "You were logged out: your sessions were ended"


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=False)
    return time_machine


def two_sessions(user: User) -> tuple[Client, Client]:
    """The user logged in twice: say at the office and on a phone."""
    return login(Client(), user), login(Client(), user)


def assert_ended(client: Client, user: User) -> None:
    response = client.get(reverse("caseload"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert ENDED in text(response)
    assert not is_logged_in(client)
    logout = events("auth.logout")[-1]
    assert (logout.actor, logout.detail) == (user, {"reason": "ended"})


def test_a_reset_logs_out_every_session_of_that_user_only(
    therapist: User, outsider: User, clock: Any
) -> None:
    enrol_authenticator(therapist)
    office, phone = two_sessions(therapist)
    colleague = login(Client(), outsider)

    call_command("totp", "reset", "therapist", stdout=io.StringIO())

    assert_ended(office, therapist)
    assert_ended(phone, therapist)
    assert is_logged_in(colleague)


def test_the_command_ends_the_sessions_and_is_audited(
    therapist: User, outsider: User, clock: Any
) -> None:
    office, phone = two_sessions(therapist)
    colleague = login(Client(), outsider)
    out = io.StringIO()

    call_command("sessions", "end", "therapist", stdout=out)

    assert "they are logged out at their next request" in out.getvalue()
    event = last_event()
    assert (event.action, event.source, event.detail) == (
        "auth.sessions_end",
        "cli",
        {"user": "therapist"},
    )
    assert event.object_id == str(therapist.pk)
    assert_ended(office, therapist)
    assert_ended(phone, therapist)
    assert is_logged_in(colleague)
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("sessions", "end", "nobody")


def test_logging_in_again_afterwards_works(client: Client, therapist: User, clock: Any) -> None:
    app = enrol_authenticator(therapist)
    password_step(client)
    code_step(client, app.now())
    assert is_logged_in(client)

    user_sessions_end(actor=None, user=therapist)
    assert not is_logged_in(client)

    clock.shift(STEP)  # a code works once
    password_step(client)
    assert code_step(client, app.now())["Location"] == reverse("caseload")
    assert is_logged_in(client)


def test_a_session_opened_before_the_sessions_could_be_ended_still_counts(
    client: Client, therapist: User
) -> None:
    # Sessions from before this existed carry no generation: they stand for the first one.
    login(client, therapist)
    session = client.session
    del session["reunify.login.generation"]
    session.save()

    assert is_logged_in(client)
    user_sessions_end(actor=None, user=therapist)
    assert not is_logged_in(client)


def test_api_tokens_outlive_the_sessions(client: Client, therapist: User) -> None:
    key = token_create(actor=None, user=therapist)

    user_sessions_end(actor=None, user=therapist)

    assert token_authenticate(key) == therapist


# Deactivation -----------------------------------------------------------------------------------


def test_deactivating_ends_sessions_and_revokes_tokens_for_good(
    therapist: User, outsider: User, clock: Any
) -> None:
    office = login(Client(), therapist)
    colleague = login(Client(), outsider)
    key = token_create(actor=None, user=therapist)
    kept = token_create(actor=None, user=outsider)

    assert user_deactivate(actor=None, user=therapist) == 1

    assert not is_logged_in(office)
    assert token_authenticate(key) is None
    assert is_logged_in(colleague)
    assert token_authenticate(kept) == outsider
    # Turned back on one day (by hand: there is no service for it), nothing old comes back.
    User.objects.filter(pk=therapist.pk).update(is_active=True)
    assert not is_logged_in(office)
    assert token_authenticate(key) is None
    assert ApiToken.objects.get(user=therapist).revoked_at == START
    deactivated, ended = events("user.deactivate")[-1], events("auth.sessions_end")[-1]
    assert deactivated.detail == {"user": "therapist", "tokens_revoked": 1}
    assert ended.detail == {"user": "therapist"}


def test_the_deactivate_command(therapist: User, clock: Any) -> None:
    out = io.StringIO()

    call_command("deactivate", "therapist", stdout=out)

    assert "Deactivated therapist" in out.getvalue()
    assert "0 API tokens were revoked" in out.getvalue()
    assert not User.objects.get(pk=therapist.pk).is_active
    assert events("user.deactivate")[-1].source == "cli"
    with pytest.raises(CommandError, match="already deactivated"):
        call_command("deactivate", "therapist")
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("deactivate", "nobody")
