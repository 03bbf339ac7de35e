"""Lets the case page's "Portal and disclosure" section build itself from the case it already
loaded, in a fixed number of queries however many parties, releases or documents there are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from django import template
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext

from reunify import access
from reunify.accounts.models import User
from reunify.cases.models import FAMILY_ROLES, LEGAL_ROLES, PARENT_ROLES, Case, Party
from reunify.disclosure.models import Disclosure, DocumentShare, Release, Restriction
from reunify.documents.models import Document
from reunify.messaging.selectors import ConversationLine, case_conversations
from reunify.portal.models import Invitation

register = template.Library()


@dataclass
class PartyAccess:
    """One party's way into the portal, as the therapist sees it."""

    party: Party
    invitation: Invitation | None
    state: str
    has_access: bool
    show_email: bool
    restriction: Restriction | None = None

    @property
    def is_legal(self) -> bool:
        return self.party.role in LEGAL_ROLES

    @property
    def is_parent(self) -> bool:
        return self.party.role in PARENT_ROLES


@dataclass
class CasePortal:
    parties: list[PartyAccess] = field(default_factory=list)
    releases: list[tuple[Release, str]] = field(default_factory=list)
    restrictions: list[Restriction] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    conversations: list[ConversationLine] = field(default_factory=list)
    disclosures: int = 0
    has_family: bool = False
    has_legal: bool = False


def release_state(release: Release, today: dt.date) -> str:
    if release.revoked_at is not None:
        return f"Revoked {timezone.localdate(release.revoked_at):%Y-%m-%d}"
    if release.expires_on < today:
        return f"Expired {release.expires_on:%Y-%m-%d}"
    if release.granted_on > today:
        return f"From {release.granted_on:%Y-%m-%d}"
    return f"In force until {release.expires_on:%Y-%m-%d}"


def _state(invitation: Invitation | None, now: dt.datetime) -> tuple[str, bool]:
    if invitation is None:
        return "Not invited", False
    if invitation.accepted_at is not None and invitation.revoked_at is None:
        user = invitation.accepted_by
        name = f" as {user.username}" if user is not None else ""
        return (
            f"Portal access since {timezone.localdate(invitation.accepted_at):%Y-%m-%d}{name}",
            True,
        )
    if invitation.revoked_at is not None:
        return f"Access ended {timezone.localdate(invitation.revoked_at):%Y-%m-%d}", False
    if invitation.email_failed_at is not None:
        failed = timezone.localtime(invitation.email_failed_at)
        return (
            gettext(
                "The invitation e-mail could not be sent (%(when)s): check the address and "
                "invite again"
            )
            % {"when": f"{failed:%Y-%m-%d %H:%M}"},
            False,
        )
    if invitation.expires_at < now:
        return f"Invitation expired {timezone.localdate(invitation.expires_at):%Y-%m-%d}", False
    return (
        f"Invited; the link works until {timezone.localtime(invitation.expires_at):%Y-%m-%d %H:%M}",
        False,
    )


def _attach(obj: object, name: str, parties: dict[int, Party]) -> None:
    """Point a record at its party from the list the case page already loaded: no query."""
    party_id = getattr(obj, f"{name}_id")
    if party_id in parties:
        setattr(obj, name, parties[party_id])


@register.simple_tag
def case_portal_section(case: Case, user: User) -> CasePortal:
    now = timezone.now()
    today = timezone.localdate()
    section = CasePortal()
    parties = list(case.parties.all())
    by_id = {p.pk: p for p in parties}
    latest: dict[int, Invitation] = {}
    invitations = Invitation.objects.filter(case=case).select_related("accepted_by")
    for invitation in invitations.order_by("created_at", "id"):
        latest[invitation.party_id] = invitation
    restrictions = list(
        Restriction.objects.filter(case=case).select_related("created_by", "lifted_by")
    )
    for restriction in restrictions:
        _attach(restriction, "party", by_id)
    in_force = {r.party_id: r for r in restrictions if r.lifted_at is None}
    sees_contact = {
        flag: access.may_see_contact(user, case, SimpleNamespace(protected_address=flag))
        for flag in (False, True)
    }
    for party in parties:
        found = latest.get(party.pk)
        state, has_access = _state(found, now)
        section.parties.append(
            PartyAccess(
                party=party,
                invitation=found,
                state=state,
                has_access=has_access,
                show_email=sees_contact[party.person.protected_address],
                restriction=in_force.get(party.pk),
            )
        )
    section.has_family = any(p.role in FAMILY_ROLES for p in parties)
    section.has_legal = any(p.role in LEGAL_ROLES for p in parties)
    releases = Release.objects.filter(case=case).select_related("court_order")
    for release in releases:
        _attach(release, "recipient", by_id)
        _attach(release, "granted_by", by_id)
        section.releases.append((release, release_state(release, today)))
    section.restrictions = restrictions
    active_shares = DocumentShare.objects.filter(withdrawn_at__isnull=True).order_by("shared_at")
    section.documents = list(
        Document.objects.filter(case=case).prefetch_related(
            Prefetch("shares", queryset=active_shares, to_attr="active_shares")
        )
    )
    for document in section.documents:
        for share in document.active_shares:  # type: ignore[attr-defined]
            _attach(share, "party", by_id)
    section.conversations = case_conversations(user, case)
    section.disclosures = Disclosure.objects.filter(case=case).count()
    return section
