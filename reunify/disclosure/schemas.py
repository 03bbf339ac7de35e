"""The typed shapes of the disclosure API (staff side): releases, restrictions, shares and the
accounting of disclosures."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Field, Schema

from reunify.cases.models import PartyRole
from reunify.disclosure.models import Category, Channel, Disclosure, Release, Restriction


class ReleaseIn(Schema):
    recipient_id: int = Field(description="The legal party the release is to.")
    granted_by_id: int | None = Field(
        default=None, description="The parent or guardian who signed it; or give court_order."
    )
    court_order: int | None = Field(
        default=None, description="The number of the court order that compels it (1, 2, …)."
    )
    categories: list[Category]
    purpose: str
    expires_on: dt.date
    granted_on: dt.date | None = Field(default=None, description="Today when left out.")


class ReleaseOut(Schema):
    id: int
    case_id: int
    recipient_id: int
    recipient: str
    granted_by_id: int | None
    court_order: int | None
    basis: str = Field(description="In words: what authorises the release.")
    categories: list[Category]
    purpose: str
    granted_on: dt.date
    expires_on: dt.date
    in_force: bool
    revoked_at: dt.datetime | None
    revoke_reason: str

    @classmethod
    def of(cls, release: Release) -> ReleaseOut:
        return cls(
            id=release.pk,
            case_id=release.case_id,
            recipient_id=release.recipient_id,
            recipient=release.recipient.person.full_name,
            granted_by_id=release.granted_by_id,
            court_order=release.court_order.number if release.court_order is not None else None,
            basis=release.basis,
            categories=[Category(c) for c in release.categories],
            purpose=release.purpose,
            granted_on=release.granted_on,
            expires_on=release.expires_on,
            in_force=release.in_force(timezone.localdate()),
            revoked_at=release.revoked_at,
            revoke_reason=release.revoke_reason,
        )


class ReasonIn(Schema):
    reason: str


class DisclosureOut(Schema):
    id: int
    at: dt.datetime
    recipient_id: int
    recipient: str
    recipient_role: PartyRole
    category: Category
    channel: Channel
    description: str
    purpose: str
    release_id: int | None
    covered_by: str = Field(description="The release or court order that covered it, in words.")
    carries_substance_use: bool

    @classmethod
    def of(cls, disclosure: Disclosure) -> DisclosureOut:
        release = disclosure.release
        return cls(
            id=disclosure.pk,
            at=disclosure.at,
            recipient_id=disclosure.recipient_id,
            recipient=disclosure.recipient.person.full_name,
            recipient_role=PartyRole(disclosure.recipient.role),
            category=Category(disclosure.category),
            channel=Channel(disclosure.channel),
            description=disclosure.description,
            purpose=disclosure.purpose,
            release_id=disclosure.release_id,
            covered_by=release.basis if release is not None else "",
            carries_substance_use=disclosure.carries_substance_use,
        )


class RestrictionIn(Schema):
    party_id: int
    reason: str


class RestrictionOut(Schema):
    id: int
    party_id: int
    party: str
    reason: str
    in_force: bool
    created_at: dt.datetime
    created_by: str
    lifted_at: dt.datetime | None
    lift_reason: str

    @classmethod
    def of(cls, restriction: Restriction) -> RestrictionOut:
        return cls(
            id=restriction.pk,
            party_id=restriction.party_id,
            party=restriction.party.person.full_name,
            reason=restriction.reason,
            in_force=restriction.in_force,
            created_at=restriction.created_at,
            created_by=restriction.created_by.username,
            lifted_at=restriction.lifted_at,
            lift_reason=restriction.lift_reason,
        )


class ShareIn(Schema):
    party_id: int


class ShareOut(Schema):
    id: int
    document_id: int
    party_id: int
    party: str
    shared_at: dt.datetime
    withdrawn_at: dt.datetime | None


class SubstanceUseIn(Schema):
    substance_use: bool
