"""Releases, the default-deny check, shares, the substance-use tag and restrictions, at the
service level: what covers what, on which day, and what is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Party, PartyRole
from reunify.conftest import Family, add_party, last_event
from reunify.disclosure.models import Category, Channel, DocumentShare, Release, Restriction
from reunify.disclosure.selectors import covering_release
from reunify.disclosure.services import (
    accounting_for,
    disclosure_record,
    document_share,
    document_unshare,
    is_restricted,
    release_grant,
    release_revoke,
    restriction_lift,
    restriction_set,
)
from reunify.documents.services import document_tag_substance_use
from reunify.portal.tests.factories import grant, upload
from reunify.process.pausing import court_order_record

DAY = dt.timedelta(days=1)


def today() -> dt.date:
    return timezone.localdate()


def test_nothing_is_covered_without_a_release(rivers: Family, attorney: Party) -> None:
    for category in Category.values:
        assert covering_release(attorney, category) is None


def test_a_release_covers_exactly_its_categories(
    therapist: User, rivers: Family, attorney: Party
) -> None:
    release = grant(therapist, rivers, attorney, [Category.ATTENDANCE, Category.DOCUMENTS])

    assert covering_release(attorney, Category.ATTENDANCE) == release
    assert covering_release(attorney, Category.DOCUMENTS) == release
    assert covering_release(attorney, Category.PROGRESS) is None
    assert covering_release(attorney, Category.DOCUMENTS, substance_use=True) is None
    assert release.basis == f"release signed by Daniel Rivers on {today()}"
    assert last_event().action == "release.grant"


def test_expiry_and_revocation_end_the_cover(
    therapist: User, rivers: Family, attorney: Party, time_machine: Any
) -> None:
    time_machine.move_to(timezone.localtime().replace(hour=12), tick=False)
    release = grant(therapist, rivers, attorney, [Category.PROGRESS], days=1)
    time_machine.shift(DAY)
    assert covering_release(attorney, Category.PROGRESS) == release
    time_machine.shift(DAY)
    assert covering_release(attorney, Category.PROGRESS) is None

    time_machine.shift(-2 * DAY)
    release_revoke(actor=therapist, release=release, reason="Withdrawn by Daniel.")
    assert covering_release(attorney, Category.PROGRESS) is None
    with pytest.raises(ValidationError, match="already revoked"):
        release_revoke(actor=therapist, release=release, reason="Again.")


def test_a_court_order_compels_a_release(therapist: User, rivers: Family, attorney: Party) -> None:
    order = court_order_record(
        actor=therapist,
        case=rivers.case,
        court="Superior Court",
        court_case_number="FL-1",
        issued_on=today(),
        terms=[],
    )
    gal = add_party(therapist, rivers.case, PartyRole.GAL, "Gita", "Guardian")
    release = release_grant(
        actor=therapist,
        case=rivers.case,
        recipient=gal,
        court_order=order,
        categories=[Category.ATTENDANCE],
        purpose="Ordered report to the court",
        expires_on=today() + 90 * DAY,
    )
    disclosure_record(
        actor=None,
        recipient=gal,
        release=release,
        category=Category.ATTENDANCE,
        channel=Channel.PORTAL_VIEW,
        description="Attendance",
    )

    assert release.basis == f"court order {order.number}"
    # Under a court order, the disclosure shows in every family member's accounting.
    for party in (rivers.child, rivers.estranged, rivers.other):
        assert accounting_for(party).count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recipient": "estranged"}, "Releases are for the professionals"),
        ({"categories": []}, "at least one category"),
        ({"categories": ["gossip"]}, "Unknown category: gossip"),
        ({"purpose": "  "}, "purpose"),
        ({"expires_on": -1}, "already passed"),
        ({"granted_by": "child"}, "signed by a parent or guardian"),
        ({"granted_by": None}, "Say who signed the release"),
    ],
)
def test_a_bad_release_is_refused_and_nothing_saved(
    therapist: User, rivers: Family, attorney: Party, change: dict[str, Any], message: str
) -> None:
    fields: dict[str, Any] = {
        "actor": therapist,
        "case": rivers.case,
        "recipient": attorney,
        "granted_by": rivers.estranged,
        "categories": [Category.ATTENDANCE],
        "purpose": "Custody case",
        "expires_on": today() + 30 * DAY,
    }
    for key, value in change.items():
        if key in ("recipient", "granted_by") and isinstance(value, str):
            value = getattr(rivers, value)
        if key == "expires_on":
            value = today() + value * DAY
        fields[key] = value
    events = Event.objects.count()

    with pytest.raises(ValidationError, match=message):
        release_grant(**fields)

    assert not Release.objects.exists()
    assert Event.objects.count() == events


def test_only_the_treating_therapist_grants(
    supervisor: User, outsider: User, rivers: Family, attorney: Party
) -> None:
    for actor, refusal in ((supervisor, PermissionDenied), (outsider, Http404)):
        with pytest.raises(refusal):
            grant(actor, rivers, attorney, [Category.ATTENDANCE])
    assert not Release.objects.exists()


def test_sharing_a_document_with_a_family_member(
    therapist: User, supervisor: User, rivers: Family, attorney: Party
) -> None:
    document = upload(therapist, rivers)

    share = document_share(actor=therapist, document=document, party=rivers.other)

    assert last_event().action == "document.share"
    with pytest.raises(ValidationError, match="already shared"):
        document_share(actor=therapist, document=document, party=rivers.other)
    with pytest.raises(ValidationError, match="only under a release"):
        document_share(actor=therapist, document=document, party=attorney)
    with pytest.raises(PermissionDenied):
        document_share(actor=supervisor, document=document, party=rivers.child)
    document_unshare(actor=therapist, share=share)
    assert last_event().action == "document.unshare"
    assert DocumentShare.objects.filter(withdrawn_at__isnull=True).count() == 0


def test_tagging_a_document_as_substance_use(
    therapist: User, supervisor: User, rivers: Family
) -> None:
    document = upload(therapist, rivers)

    document_tag_substance_use(actor=therapist, document=document, substance_use=True)

    document.refresh_from_db()
    assert document.substance_use
    assert last_event().action == "document.tag_substance_use"
    with pytest.raises(ValidationError, match="already tagged"):
        document_tag_substance_use(actor=therapist, document=document, substance_use=True)
    with pytest.raises(PermissionDenied):
        document_tag_substance_use(actor=supervisor, document=document, substance_use=False)


def test_a_restriction_needs_a_parent_and_a_reason(therapist: User, rivers: Family) -> None:
    with pytest.raises(ValidationError, match="Only a parent"):
        restriction_set(actor=therapist, case=rivers.case, party=rivers.child, reason="x")
    with pytest.raises(ValidationError, match="Record the reason"):
        restriction_set(actor=therapist, case=rivers.case, party=rivers.estranged, reason=" ")
    assert not Restriction.objects.exists()

    restriction = restriction_set(
        actor=therapist, case=rivers.case, party=rivers.estranged, reason="Threats."
    )
    assert is_restricted(rivers.estranged)
    restriction_lift(actor=therapist, restriction=restriction, reason="Resolved.")
    assert not is_restricted(rivers.estranged)
