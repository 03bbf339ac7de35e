"""The staff pages of the portal-and-disclosure section: each works, needs a login, answers
another family 404 and a supervisor's write 403, turns bad input away without saving, and
writes its audit row. The case page's query count does not grow with the section's rows."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Party
from reunify.cases.sections import section_url
from reunify.conftest import Family, last_event, login
from reunify.disclosure.models import Category, Channel, DocumentShare, Release, Restriction
from reunify.disclosure.services import disclosure_record, document_share, restriction_set
from reunify.documents.models import Document
from reunify.messaging.models import Message
from reunify.messaging.services import message_send_to_therapist
from reunify.portal.models import Invitation
from reunify.portal.tests.factories import (
    SECRET_EMAIL,
    add_attorney,
    grant,
    invite,
    portal_user,
    upload,
)

DAY = dt.timedelta(days=1)
# Reads and refusals are audited too; a refused write must leave no other trace.
NOT_WRITES = ("case.view", "access.denied")


def writes() -> int:
    return Event.objects.exclude(action__in=NOT_WRITES).count()


def today() -> dt.date:
    return timezone.localdate()


def text(response: Any) -> str:
    return response.content.decode()


def case_page(client: Client, family: Family) -> Any:
    return client.get(section_url(family.case.pk, "disclosure"))


# The section on the case page ---------------------------------------------------------------------


def test_the_case_page_shows_the_portal_and_disclosure_section(
    client: Client, therapist: User, rivers: Family, attorney: Party
) -> None:
    grant(therapist, rivers, attorney, [Category.ATTENDANCE])
    invite(therapist, rivers.other)
    login(client, therapist)

    body = text(case_page(client, rivers))

    assert "Portal and disclosure" in body
    assert reverse("invitation_new", args=[rivers.case.pk, rivers.estranged.pk]) in body
    assert "In force until" in body and "Attendance" in body
    assert SECRET_EMAIL in body  # the treating therapist sees the protected address


def test_the_supervisor_sees_the_section_without_protected_details_or_messages(
    client: Client, therapist: User, supervisor: User, rivers: Family
) -> None:
    invite(therapist, rivers.other)
    mia = portal_user(therapist, rivers.child)
    message_send_to_therapist(actor=mia, party=rivers.child, body="Private words.")
    login(client, supervisor)

    body = text(case_page(client, rivers))

    assert "Portal and disclosure" in body
    assert SECRET_EMAIL not in body
    assert "Invite to the portal" not in body
    assert reverse("disclosure_conversation", args=[rivers.case.pk, rivers.child.pk]) not in body


def _queries(client: Client, family: Family) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = case_page(client, family)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_case_page_query_count_stays_flat(
    client: Client, therapist: User, rivers: Family
) -> None:
    first = add_attorney(therapist, rivers)
    grant(therapist, rivers, first, [Category.ATTENDANCE])
    document_share(actor=therapist, document=upload(therapist, rivers, "A"), party=rivers.child)
    portal_user(therapist, rivers.child)
    login(client, therapist)
    small = _queries(client, rivers)

    for number in range(3):
        grant(therapist, rivers, first, [Category.PROGRESS], purpose=f"Purpose {number}")
        document = upload(therapist, rivers, f"Document {number}")
        document_share(actor=therapist, document=document, party=rivers.estranged)
        document_share(actor=therapist, document=document, party=rivers.other)
    portal_user(therapist, rivers.estranged)
    invite(therapist, rivers.other)
    restriction_set(actor=therapist, case=rivers.case, party=rivers.estranged, reason="Threats.")
    large = _queries(client, rivers)

    assert small == large


# Inviting -----------------------------------------------------------------------------------------


def test_inviting_prefills_the_email_and_sends_the_link(
    client: Client, therapist: User, rivers: Family, django_capture_on_commit_callbacks: Any
) -> None:
    login(client, therapist)
    address = reverse("invitation_new", args=[rivers.case.pk, rivers.estranged.pk])
    assert 'value="daniel.rivers@example.invalid"' in text(client.get(address))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(address, {"email": "daniel.new@example.invalid"})

    assert response.status_code == 302
    assert Invitation.objects.get().email == "daniel.new@example.invalid"
    assert mail.outbox[0].to == ["daniel.new@example.invalid"]
    assert last_event().action == "invitation.create"


def test_a_bad_email_is_refused_and_nothing_saved(
    client: Client, therapist: User, rivers: Family
) -> None:
    login(client, therapist)
    response = client.post(
        reverse("invitation_new", args=[rivers.case.pk, rivers.estranged.pk]), {"email": "nope"}
    )
    assert response.status_code == 400
    assert "Enter a valid email address" in text(response)
    assert not Invitation.objects.exists()


def test_portal_access_is_ended_from_the_page(
    client: Client, therapist: User, rivers: Family
) -> None:
    daniel = portal_user(therapist, rivers.estranged)
    login(client, therapist)
    response = client.post(reverse("portal_revoke", args=[rivers.case.pk, rivers.estranged.pk]))
    assert response.status_code == 302
    assert last_event().action == "portal.revoke"
    from reunify.access import portal_parties

    assert not portal_parties(daniel).exists()


# Every write page: login, other family, supervisor, bad input -------------------------------------


def _pages(
    family: Family, attorney: Party, release: Release, restriction: Restriction
) -> dict[str, tuple[str, dict[str, Any]]]:
    case = family.case.pk
    document = Document.objects.filter(case=family.case).first()
    assert document is not None
    return {
        "invite": (
            reverse("invitation_new", args=[case, family.estranged.pk]),
            {"email": "d@example.invalid"},
        ),
        "release": (
            reverse("release_new", args=[case]),
            {
                "recipient": attorney.pk,
                "granted_by": family.estranged.pk,
                "categories": ["attendance"],
                "purpose": "Custody",
                "granted_on": today().isoformat(),
                "expires_on": (today() + 30 * DAY).isoformat(),
            },
        ),
        "revoke": (reverse("release_revoke", args=[release.pk]), {"reason": "Withdrawn."}),
        "restrict": (
            reverse("restriction_new", args=[case]),
            {"party": family.other.pk, "reason": "Danger."},
        ),
        "lift": (reverse("restriction_lift", args=[restriction.pk]), {"reason": "Resolved."}),
        "share": (
            reverse("document_share_new", args=[case, document.pk]),
            {"party": family.child.pk},
        ),
        "tag": (reverse("document_substance_use", args=[document.pk]), {"substance_use": "yes"}),
    }


@pytest.fixture
def setup(therapist: User, rivers: Family, attorney: Party) -> Callable[[], dict[str, Any]]:
    upload(therapist, rivers)
    release = grant(therapist, rivers, attorney, [Category.ATTENDANCE])
    restriction = restriction_set(
        actor=therapist, case=rivers.case, party=rivers.estranged, reason="Threats."
    )
    return lambda: _pages(rivers, attorney, release, restriction)


PAGES = ["invite", "release", "revoke", "restrict", "lift", "share", "tag"]


@pytest.mark.parametrize("name", PAGES)
def test_each_write_works_and_is_audited(
    client: Client, therapist: User, setup: Callable[[], dict[str, Any]], name: str
) -> None:
    address, data = setup()[name]
    login(client, therapist)
    before = writes()

    response = client.post(address, data)

    assert response.status_code == 302, text(response)
    assert response["Location"].endswith("#portal-heading")
    assert writes() == before + 1
    assert last_event().action in {
        "invitation.create",
        "release.grant",
        "release.revoke",
        "restriction.set",
        "restriction.lift",
        "document.share",
        "document.tag_substance_use",
    }


@pytest.mark.parametrize("name", PAGES)
def test_each_page_needs_a_login(
    client: Client, setup: Callable[[], dict[str, Any]], name: str
) -> None:
    address, data = setup()[name]
    response = client.post(address, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_the_other_family_gets_404(
    client: Client, outsider: User, setup: Callable[[], dict[str, Any]], name: str
) -> None:
    address, data = setup()[name]
    login(client, outsider)
    before = writes()
    assert client.post(address, data).status_code == 404
    assert writes() == before


@pytest.mark.parametrize("name", PAGES)
def test_the_supervisor_may_not_write(
    client: Client, supervisor: User, setup: Callable[[], dict[str, Any]], name: str
) -> None:
    address, data = setup()[name]
    login(client, supervisor)
    before = writes()
    assert client.post(address, data).status_code == 403
    assert writes() == before


def test_a_bad_release_gets_a_clear_error_and_nothing_is_saved(
    client: Client, therapist: User, rivers: Family, attorney: Party
) -> None:
    order_free = {
        "recipient": attorney.pk,
        "categories": ["attendance"],
        "purpose": "Custody",
        "granted_on": today().isoformat(),
        "expires_on": (today() + 30 * DAY).isoformat(),
    }
    login(client, therapist)

    response = client.post(reverse("release_new", args=[rivers.case.pk]), order_free)

    assert response.status_code == 400
    assert "Say who signed the release" in text(response)
    missing = client.post(reverse("release_new", args=[rivers.case.pk]), {"recipient": attorney.pk})
    assert missing.status_code == 400
    assert "This field is required" in text(missing)
    assert not Release.objects.exists()


def test_a_revocation_needs_a_reason(
    client: Client, therapist: User, rivers: Family, attorney: Party
) -> None:
    release = grant(therapist, rivers, attorney, [Category.ATTENDANCE])
    login(client, therapist)
    response = client.post(reverse("release_revoke", args=[release.pk]), {"reason": ""})
    assert response.status_code == 400
    release.refresh_from_db()
    assert release.revoked_at is None


def test_sharing_and_withdrawing_from_the_page(
    client: Client, therapist: User, rivers: Family
) -> None:
    document = upload(therapist, rivers)
    login(client, therapist)
    client.post(
        reverse("document_share_new", args=[rivers.case.pk, document.pk]),
        {"party": rivers.child.pk},
    )
    share = DocumentShare.objects.get()
    assert share.party == rivers.child

    client.post(reverse("share_withdraw", args=[share.pk]))

    share.refresh_from_db()
    assert share.withdrawn_at is not None
    assert last_event().action == "document.unshare"


# The accounting of disclosures: page and PDF ------------------------------------------------------


@pytest.fixture
def disclosed(therapist: User, rivers: Family, attorney: Party) -> Release:
    release = grant(therapist, rivers, attorney, [Category.ATTENDANCE, Category.DOCUMENTS])
    document = upload(therapist, rivers, "Minute order")
    for category, channel, what in (
        (Category.ATTENDANCE, Channel.PORTAL_VIEW, "Attendance: sessions held"),
        (Category.DOCUMENTS, Channel.DOWNLOAD, "Document downloaded: Minute order"),
    ):
        disclosure_record(
            actor=None,
            recipient=attorney,
            release=release,
            category=category,
            channel=channel,
            description=what,
            obj=document,
        )
    return release


def test_the_accounting_page_lists_each_disclosure_with_its_release(
    client: Client, therapist: User, supervisor: User, rivers: Family, disclosed: Release
) -> None:
    for user in (therapist, supervisor):
        login(client, user)
        response = client.get(
            reverse("disclosure_accounting", args=[rivers.case.pk, rivers.estranged.pk])
        )
        body = text(response)
        assert response.status_code == 200
        assert "Document downloaded: Minute order" in body
        assert "Avery Counsel" in body
        assert f"Release signed by Daniel Rivers on {today()}" in body
        assert "Representing the father" in body
    assert Event.objects.filter(
        action="case.view", detail__what=f"accounting of disclosures: party {rivers.estranged.pk}"
    ).exists()


def test_the_other_parent_signed_nothing_so_her_accounting_is_empty(
    client: Client, therapist: User, rivers: Family, disclosed: Release
) -> None:
    login(client, therapist)
    response = client.get(reverse("disclosure_accounting", args=[rivers.case.pk, rivers.other.pk]))
    assert "Nothing has been disclosed" in text(response)


def test_the_accounting_prints_as_a_pdf(
    client: Client, therapist: User, rivers: Family, disclosed: Release
) -> None:
    login(client, therapist)
    response = client.get(
        reverse("disclosure_accounting_pdf", args=[rivers.case.pk, rivers.estranged.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    words = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Accounting of disclosures" in words
    assert "Daniel Rivers" in words
    assert "Minute order" in words
    assert "Avery Counsel" in words
    assert "Release signed by Daniel Rivers" in words


def test_the_accounting_of_another_family_is_404(
    client: Client, outsider: User, rivers: Family, disclosed: Release
) -> None:
    login(client, outsider)
    for name in ("disclosure_accounting", "disclosure_accounting_pdf"):
        address = reverse(name, args=[rivers.case.pk, rivers.estranged.pk])
        assert client.get(address).status_code == 404
    assert client.get(reverse("disclosure_log", args=[rivers.case.pk])).status_code == 404


def test_the_disclosure_log_lists_the_case(
    client: Client, therapist: User, rivers: Family, disclosed: Release
) -> None:
    login(client, therapist)
    body = text(client.get(reverse("disclosure_log", args=[rivers.case.pk])))
    assert "Attendance: sessions held" in body and "Document downloaded" in body


# Conversations ------------------------------------------------------------------------------------


def test_the_treating_therapist_reads_and_replies_to_the_childs_messages(
    client: Client, therapist: User, rivers: Family
) -> None:
    mia = portal_user(therapist, rivers.child)
    message_send_to_therapist(actor=mia, party=rivers.child, body="Please slow down.")
    login(client, therapist)
    address = reverse("disclosure_conversation", args=[rivers.case.pk, rivers.child.pk])

    assert "Please slow down." in text(client.get(address))
    assert Message.objects.get().read_at is not None
    response = client.post(address, {"body": "We will. Thank you for saying so."})

    assert response.status_code == 302
    reply = Message.objects.get(from_party=False)
    assert reply.author == therapist
    event = last_event()
    assert event.action == "message.reply"
    assert "Thank you" not in str(event.detail)


@pytest.mark.parametrize("who", ["supervisor", "monitor", "outsider"])
def test_nobody_else_reads_a_conversation(
    client: Client, therapist: User, rivers: Family, request: Any, who: str
) -> None:
    mia = portal_user(therapist, rivers.child)
    message_send_to_therapist(actor=mia, party=rivers.child, body="Please slow down.")
    login(client, request.getfixturevalue(who))
    address = reverse("disclosure_conversation", args=[rivers.case.pk, rivers.child.pk])

    response = client.get(address)

    assert response.status_code == {"supervisor": 403, "monitor": 404, "outsider": 404}[who]
    assert "Please slow down." not in text(response)
    assert client.post(address, {"body": "x"}).status_code in (403, 404)
    assert Message.objects.count() == 1
