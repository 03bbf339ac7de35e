"""Words families read: the portal speaks to each person by name and in plain words, never with
the clinical role names ("estranged parent", "Child") the staff pages use; legal parties see who
the therapist is and how to reach the practice."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.cases.models import Party, PartyRole
from reunify.clinical.services import appointment_schedule
from reunify.conftest import Family, add_party, login
from reunify.disclosure.models import Category
from reunify.disclosure.services import document_share
from reunify.messaging.services import message_reply
from reunify.portal.tests.factories import add_attorney, grant, portal_user, upload
from reunify.psychoeducation.models import Module
from reunify.psychoeducation.services import module_assign

# "Child" the role label, not "Children" in a module's text.
CLINICAL_WORDS = re.compile(r"estranged|Estranged|\bChild\b")
PRACTICE_PHONE = "+1 555 0170 3300"
PRACTICE_EMAIL = "office@practice.example.invalid"


@pytest.fixture(autouse=True)
def practice(settings: Any) -> None:
    settings.REUNIFY_PRACTICE_NAME = "Harbour Family Practice"
    settings.REUNIFY_PRACTICE_PHONE = PRACTICE_PHONE
    settings.REUNIFY_PRACTICE_EMAIL = PRACTICE_EMAIL


def _busy(therapist: User, rivers: Family) -> dict[str, Party]:
    """Every portal role on the Rivers case, with sessions, reading, shares and messages."""
    attorney = add_attorney(therapist, rivers)
    legal = {
        "attorney": attorney,
        "gal": add_party(therapist, rivers.case, PartyRole.GAL, "Gale", "Litem"),
        "court": add_party(therapist, rivers.case, PartyRole.COURT, "Clerk", "Bench"),
        "cps": add_party(therapist, rivers.case, PartyRole.CPS, "Casey", "Worker"),
    }
    family = {"estranged": rivers.estranged, "other": rivers.other, "child": rivers.child}
    for role, first in (("family", 2), ("individual", 3)):
        appointment_schedule(
            actor=therapist,
            case=rivers.case,
            kind=role,
            starts_at=timezone.now() + dt.timedelta(days=first),
            participants=[rivers.estranged, rivers.child],
        )
    module = Module.objects.active().order_by("id").first()
    assert module is not None
    for party in family.values():
        module_assign(actor=therapist, case=rivers.case, party=party, module=module)
        message_reply(actor=therapist, party=party, body="See you on Tuesday.")
    document = upload(therapist, rivers, "Session plan")
    document_share(actor=therapist, document=document, party=rivers.estranged)
    for party in legal.values():
        grant(
            therapist,
            rivers,
            party,
            [Category.ATTENDANCE, Category.PROGRESS, Category.DOCUMENTS],
        )
    return family | legal


def _pages(party: Party) -> list[str]:
    pages = [reverse("portal_home"), reverse("portal_party", args=[party.pk])]
    pages.append(reverse("portal_security"))
    if party.role not in (PartyRole.ATTORNEY, PartyRole.GAL, PartyRole.COURT, PartyRole.CPS):
        pages.append(reverse("portal_disclosures", args=[party.pk]))
    if party.role == PartyRole.CHILD:
        pages.append(reverse("portal_checkin", args=[party.pk]))
    return pages


def test_no_portal_page_calls_anyone_by_a_clinical_role(
    client: Client, therapist: User, rivers: Family
) -> None:
    parties = _busy(therapist, rivers)
    for who, party in parties.items():
        login(client, portal_user(therapist, party))
        for address in _pages(party):
            response = client.get(address)
            assert response.status_code == 200, (who, address)
            body = response.content.decode()
            assert not CLINICAL_WORDS.findall(body), (who, address, CLINICAL_WORDS.findall(body))
            if address != reverse("portal_security"):
                assert party.person.first_name in body, (who, address)
        client.logout()


def test_a_family_member_reads_their_own_name_and_their_familys_therapist(
    client: Client, therapist: User, rivers: Family
) -> None:
    login(client, portal_user(therapist, rivers.estranged))

    body = client.get(reverse("portal_party", args=[rivers.estranged.pk])).content.decode()

    assert "Hello, Daniel." in body
    assert "Your family&#x27;s therapist" in body or "Your family's therapist" in body
    assert therapist.display_name in body


@pytest.mark.parametrize("role", ["attorney", "gal", "court", "cps"])
def test_a_legal_party_sees_the_therapist_and_how_to_reach_the_practice(
    client: Client, therapist: User, rivers: Family, role: str
) -> None:
    party = _busy(therapist, rivers)[role]
    login(client, portal_user(therapist, party))

    body = client.get(reverse("portal_party", args=[party.pk])).content.decode()

    assert therapist.display_name in body
    assert "Harbour Family Practice" in body
    assert PRACTICE_PHONE in body and f"mailto:{PRACTICE_EMAIL}" in body
    assert "estranged" not in body


def test_the_invitation_email_speaks_to_the_person_by_name(
    therapist: User, rivers: Family, django_capture_on_commit_callbacks: Any
) -> None:
    attorney = add_attorney(therapist, rivers)
    with django_capture_on_commit_callbacks(execute=True):
        for party in (rivers.estranged, rivers.child, attorney):
            portal_user(therapist, party)

    assert len(mail.outbox) == 3
    for message, party in zip(mail.outbox, (rivers.estranged, rivers.child, attorney), strict=True):
        text = f"{message.subject}\n{message.body}"
        assert f"Hello {party.person.first_name}," in text
        assert "Harbour Family Practice" in text and PRACTICE_PHONE in text
        assert not CLINICAL_WORDS.findall(text)
    assert "your family's therapist" in mail.outbox[0].body
    assert "the family's therapist" in mail.outbox[2].body
