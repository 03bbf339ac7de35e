"""The demo practice's portal: logins for two families and one attorney, made through
invitations, loaded idempotently; the attorney's release leaves the substance-use summary out."""

from __future__ import annotations

from typing import Any

from reunify.access import portal_parties
from reunify.accounts.models import Role, User
from reunify.cases.models import Party, PartyRole
from reunify.demo import demo_load
from reunify.disclosure.models import Category, Release
from reunify.portal.models import Invitation
from reunify.portal.services import legal_view

PORTAL_USERNAMES = {
    "ansel.marigold",
    "clemency.marigold",
    "tamsin.marigold",
    "hollis.tremaine",
    "orla.quillfeather",
    "piers.quillfeather",
}


def test_the_demo_has_portal_logins_once(db: Any, documents_folder: Any) -> None:
    first = demo_load()
    second = demo_load()

    portal = {login.username for login in first if login.role.startswith("Portal")}
    assert portal == PORTAL_USERNAMES
    assert {login.username for login in second} == {login.username for login in first}
    assert set(User.objects.filter(role=Role.PORTAL).values_list("username", flat=True)) == (
        PORTAL_USERNAMES
    )
    assert Invitation.objects.filter(accepted_at__isnull=False).count() == 6


def test_the_demo_attorney_sees_documents_but_not_the_substance_use_summary(
    db: Any, documents_folder: Any
) -> None:
    demo_load()
    hollis = User.objects.get(username="hollis.tremaine")
    [attorney] = portal_parties(hollis)
    assert attorney.role == PartyRole.ATTORNEY
    assert attorney.represents == Party.objects.get(
        case=attorney.case, role=PartyRole.ESTRANGED_PARENT
    )
    release = Release.objects.get(recipient=attorney)
    assert Category.SUBSTANCE_USE not in release.categories

    view = legal_view(actor=hollis, party=attorney)

    assert view.documents is not None
    titles = [d.title for d in view.documents]
    assert "Minute order FL-2025-019822" in titles
    assert "Substance-use treatment summary (2024)" not in titles
    assert view.substance_use_documents == []
