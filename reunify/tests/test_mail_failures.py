"""A mail server that is down never undoes, or errors on, the record an e-mail tells of: the
invitation and the child's check-in stand, the failure is audited, and the therapist sees that
the invitation e-mail did not go out."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.sections import section_url
from reunify.conftest import Family, bearer, committing, fresh, login, make_family, make_user
from reunify.measures.models import ChildCheckin
from reunify.portal.models import Invitation
from reunify.portal.tests.factories import invite, portal_user


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mail_server_down(settings: Any) -> None:
    """Real SMTP to a loopback port nothing listens on: every send is refused."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5


def test_an_invitation_whose_e_mail_fails_is_kept_and_marked(
    client: Client, therapist: User, family: Family, mail_server_down: None
) -> None:
    with committing():
        invitation, _token = invite(therapist, family.estranged, "dan@example.invalid")

    invitation.refresh_from_db()
    assert invitation.email_failed_at is not None
    failure = Event.objects.get(action="mail.fail")
    assert failure.case_id == family.case.pk
    assert failure.object_id == str(invitation.pk)
    assert failure.detail == {
        "what": "invitation",
        "messages": 1,
        "error": "ConnectionRefusedError",
    }
    assert "dan@example.invalid" not in str(failure.detail)
    login(client, therapist)
    page = client.get(section_url(family.case.pk, "disclosure")).content.decode()
    assert "The invitation e-mail could not be sent" in page
    (listed,) = client.get(
        f"/api/v1/cases/{family.case.pk}/invitations", headers=bearer(therapist)
    ).json()
    assert listed["email_failed_at"] is not None


def test_an_invitation_whose_e_mail_went_out_is_not_marked(
    therapist: User, family: Family, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation, _token = invite(therapist, family.estranged)

    assert Invitation.objects.get(pk=invitation.pk).email_failed_at is None
    assert not Event.objects.filter(action="mail.fail").exists()


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="flushing past the audit triggers needs PostgreSQL"
)


@pytest.mark.flushes
@on_postgresql
def test_a_childs_unsafe_check_in_stands_when_the_mail_server_is_down(
    audit_flushable: Any, mail_server_down: None
) -> None:
    therapist = make_user("mailtess", supervisor=make_user("mailsup", role="supervisor"))
    User.objects.filter(pk=therapist.pk).update(email="tess@practice.invalid")
    family = make_family(therapist)
    child = portal_user(therapist, family.child, "mia@example.invalid")
    client = Client()
    login(client, child)

    # A real request, committed for real: the e-mail is tried after the commit, and fails.
    response = client.post(
        reverse("portal_checkin", args=[family.child.pk]),
        {"ready": "5", "safe": "1", "last_visit": "hard", "words": "I am scared."},
    )

    assert response.status_code == 302
    assert ChildCheckin.objects.get().safety_concern
    assert fresh(family.case).is_paused
    failed = [e.detail["what"] for e in Event.objects.filter(action="mail.fail").order_by("id")]
    # The child's own invitation e-mail failed too (the server was down all along).
    assert failed == ["invitation", "check-in concern"]
