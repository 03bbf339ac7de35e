"""Portal and disclosure factories: a family whose protected parent has distinctive contact
details (so a leak can be searched for), its attorney, invitations accepted at once, releases,
and documents. Plain functions, as in reunify/conftest.py; the fixtures at the bottom are
imported by the conftest of each test folder that needs them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from reunify.accounts.models import User
from reunify.cases.models import Party, PartyRole
from reunify.conftest import PASSWORD, Family, add_party, committing, login, make_case
from reunify.disclosure.models import Release
from reunify.disclosure.services import release_grant
from reunify.documents.models import Document
from reunify.documents.pdf import text_pdf
from reunify.documents.services import document_tag_substance_use, document_upload
from reunify.portal.models import Invitation
from reunify.portal.services import invitation_accept, invitation_create

DAY = dt.timedelta(days=1)

# The protected parent's details: none of these may appear anywhere but her own page and
# the treating therapist's.
SECRET_EMAIL = "laura.hidden@example.invalid"
SECRET_PHONE = "555-0142-7781"
SECRET_ADDRESS = "17 Quiet Lane, Hidden Town"
SECRET_WORKPLACE = "Marrowgate Glassworks"
SECRETS = (SECRET_EMAIL, SECRET_PHONE, "Quiet Lane", "Hidden Town", SECRET_WORKPLACE)


def today() -> dt.date:
    return timezone.localdate()


def make_portal_family(
    therapist: User, title: str = "Rivers family", last: str = "Rivers"
) -> Family:
    case = make_case(therapist, title=title)
    child = add_party(
        therapist,
        case,
        PartyRole.CHILD,
        "Mia",
        last,
        date_of_birth=today() - 13 * 365 * DAY,
        email=f"mia.{last.lower()}@example.invalid",
    )
    estranged = add_party(
        therapist,
        case,
        PartyRole.ESTRANGED_PARENT,
        "Daniel",
        last,
        email=f"daniel.{last.lower()}@example.invalid",
        phone="555-0100",
    )
    other = add_party(
        therapist,
        case,
        PartyRole.OTHER_PARENT,
        "Laura",
        last,
        email=SECRET_EMAIL if last == "Rivers" else f"laura.{last.lower()}@example.invalid",
        phone=SECRET_PHONE if last == "Rivers" else "555-0199",
        address=SECRET_ADDRESS if last == "Rivers" else "1 Open Road",
        workplace=SECRET_WORKPLACE if last == "Rivers" else "Open Road Bakery",
        protected_address=True,
    )
    return Family(case, child, estranged, other)


def add_attorney(therapist: User, family: Family, represents: Party | None = None) -> Party:
    return add_party(
        therapist,
        family.case,
        PartyRole.ATTORNEY,
        "Avery",
        "Counsel",
        email="avery.counsel@example.invalid",
        organisation="Counsel & Co",
        represents=represents or family.estranged,
    )


def invite(therapist: User, party: Party, email: str | None = None) -> tuple[Invitation, str]:
    invitation = invitation_create(
        actor=therapist,
        case=party.case,
        party=party,
        email=email or party.person.email or f"{party.person.first_name.lower()}@example.invalid",
        portal_url="http://testserver/",
    )
    return invitation, invitation.token  # type: ignore[attr-defined]


def portal_user(therapist: User, party: Party, email: str | None = None) -> User:
    """The party's portal account: invited and accepted."""
    _, token = invite(therapist, party, email)
    return invitation_accept(token=token, password=PASSWORD)


def portal_client(client: Client, user: User) -> Client:
    return login(client, user)


def grant(
    therapist: User,
    family: Family,
    recipient: Party,
    categories: list[str],
    *,
    days: int = 30,
    signer: Party | None = None,
    purpose: str = "Representing the father in the custody case",
) -> Release:
    return release_grant(
        actor=therapist,
        case=family.case,
        recipient=recipient,
        granted_by=signer or family.estranged,
        categories=categories,
        purpose=purpose,
        expires_on=today() + days * DAY,
    )


def upload(
    therapist: User, family: Family, title: str = "Minute order", *, substance_use: bool = False
) -> Document:
    pdf = text_pdf(title, ["FICTIONAL TEST DOCUMENT"])
    with committing():
        document = document_upload(
            actor=therapist,
            case=family.case,
            kind="other",
            title=title,
            upload=SimpleUploadedFile(f"{title}.pdf", pdf, content_type="application/pdf"),
        )
    if substance_use:
        document = document_tag_substance_use(
            actor=therapist, document=document, substance_use=True
        )
    return document


@pytest.fixture(autouse=True)
def documents_folder(settings: Any, tmp_path: Path) -> Path:
    settings.REUNIFY_DOCUMENTS_DIR = tmp_path / "documents"
    return Path(settings.REUNIFY_DOCUMENTS_DIR)


@pytest.fixture
def rivers(therapist: User) -> Family:
    return make_portal_family(therapist)


@pytest.fixture
def okafor(outsider: User) -> Family:
    return make_portal_family(outsider, title="Okafor family", last="Okafor")


@pytest.fixture
def attorney(therapist: User, rivers: Family) -> Party:
    return add_attorney(therapist, rivers)
