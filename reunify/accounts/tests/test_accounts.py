"""Staff accounts and API tokens."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError

from reunify.accounts.models import ApiToken, Role, User
from reunify.accounts.services import (
    TOKEN_PREFIX,
    token_authenticate,
    token_create,
    token_revoke,
    user_create,
)
from reunify.audit.models import Event
from reunify.conftest import last_event

STRONG = "a long and unusual passphrase 93"


def test_a_staff_account_is_created_with_an_argon2_password_and_logged(db, supervisor):
    user = user_create(
        actor=supervisor,
        username="nora",
        password=STRONG,
        role=Role.THERAPIST,
        first_name="Nora",
        last_name="Diaz",
        supervisor=supervisor,
    )

    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(STRONG)
    assert authenticate(username="nora", password=STRONG) == user
    assert user.display_name == "Nora Diaz"
    assert not user.is_staff and not user.is_superuser
    event = last_event()
    assert (event.action, event.actor, event.detail) == (
        "user.create",
        supervisor,
        {"role": "therapist"},
    )


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "too short"),
        ("password1234", "too common"),
        ("384729105837", "entirely numeric"),
        ("nora-diaz-nora", "too similar"),
    ],
)
def test_a_weak_password_is_refused_and_nothing_is_created(db, password, message):
    before = Event.objects.count()

    with pytest.raises(ValidationError) as refused:
        user_create(actor=None, username="nora-diaz", password=password, role=Role.THERAPIST)

    assert any(message in m for m in refused.value.messages)
    assert not User.objects.filter(username="nora-diaz").exists()
    assert Event.objects.count() == before


def test_a_username_is_taken_whatever_its_case(therapist):
    with pytest.raises(ValidationError, match="already taken"):
        user_create(actor=None, username="THERAPIST", password=STRONG, role=Role.THERAPIST)


def test_an_unknown_role_is_refused(db):
    with pytest.raises(ValidationError, match="Unknown role 'wizard'"):
        user_create(actor=None, username="merlin", password=STRONG, role="wizard")


def test_only_a_clinical_supervisor_supervises(therapist):
    with pytest.raises(ValidationError, match="therapist is not a clinical supervisor"):
        user_create(
            actor=None, username="nora", password=STRONG, role=Role.THERAPIST, supervisor=therapist
        )

    assert not User.objects.filter(username="nora").exists()


# --- API tokens ----------------------------------------------------------------------------


def test_a_token_authenticates_its_user_and_only_its_hash_is_kept(therapist):
    key = token_create(actor=None, user=therapist, label="laptop")

    assert key.startswith(TOKEN_PREFIX)
    assert len(key) > 40
    assert token_authenticate(key) == therapist
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:10]
    stored = [str(v) for row in ApiToken.objects.values() for v in row.values()]
    stored += [str(v) for row in Event.objects.values() for v in row.values()]
    assert not any(key in value for value in stored)
    assert last_event().action == "token.create"
    assert last_event().detail == {"user": "therapist"}


def test_a_token_records_when_it_was_last_used(therapist):
    key = token_create(actor=None, user=therapist)
    assert ApiToken.objects.get().last_used_at is None

    token_authenticate(key)

    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "presented",
    ["", "rfy_", "rfy_not-a-real-token", "Bearer rfy_x", "abc"],
)
def test_anything_else_authenticates_no_one(therapist, presented):
    token_create(actor=None, user=therapist)

    assert token_authenticate(presented) is None


def test_a_revoked_token_stops_working(therapist):
    key = token_create(actor=None, user=therapist)
    token = ApiToken.objects.get()

    token_revoke(actor=therapist, token=token)

    assert token_authenticate(key) is None
    assert ApiToken.objects.get().revoked_at is not None
    assert last_event().action == "token.revoke"


def test_revoking_twice_changes_nothing_the_second_time(therapist):
    token_create(actor=None, user=therapist)
    token_revoke(actor=None, token=ApiToken.objects.get())
    revoked = ApiToken.objects.get()
    events = Event.objects.count()

    token_revoke(actor=None, token=revoked)

    assert ApiToken.objects.get().revoked_at == revoked.revoked_at
    assert Event.objects.count() == events


def test_a_deactivated_users_tokens_stop_working(therapist):
    key = token_create(actor=None, user=therapist)
    User.objects.filter(pk=therapist.pk).update(is_active=False)

    assert token_authenticate(key) is None


def test_each_token_is_different(therapist):
    keys = {token_create(actor=None, user=therapist) for _ in range(5)}

    assert len(keys) == 5
    assert {token_authenticate(k) for k in keys} == {therapist}
