"""Writes for releases, disclosures and restrictions: validate, save, audit, in one transaction.

Nothing leaves the record without a covering release or court order:
`disclosure.selectors.covering_release` is the one place that answers "may this recipient see
this category today, and on what authority".
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from reunify import access
from reunify.accounts.models import User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.audit.recorded import recorded_create
from reunify.cases.models import (
    CONSENTING_ROLES,
    FAMILY_ROLES,
    LEGAL_ROLES,
    PARENT_ROLES,
    Case,
    CourtOrder,
    Party,
)
from reunify.cases.services import require_open
from reunify.disclosure.models import (
    Category,
    Channel,
    Disclosure,
    DocumentShare,
    Release,
    Restriction,
)
from reunify.documents.models import Document


def _of_case(case: Case, party: Party, what: str) -> Party:
    if party.case_id != case.pk:
        raise ValidationError(f"{what} does not belong to this case.")
    return party


@transaction.atomic
def release_grant(
    *,
    actor: User,
    case: Case,
    recipient: Party,
    categories: list[str],
    purpose: str,
    expires_on: dt.date,
    granted_on: dt.date | None = None,
    granted_by: Party | None = None,
    court_order: CourtOrder | None = None,
) -> Release:
    """Record a release signed by an adult family member, or one compelled by a court order."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    today = timezone.localdate()
    granted_on = granted_on or today
    _of_case(case, recipient, "The recipient")
    if recipient.role not in LEGAL_ROLES:
        raise ValidationError(
            "Releases are for the professionals around the family (attorneys, guardian ad "
            "litem, court, CPS, school); family members see their own record in the portal."
        )
    if (granted_by is None) == (court_order is None):
        raise ValidationError(
            "Say who signed the release, or which court order compels the disclosure (one)."
        )
    if granted_by is not None:
        _of_case(case, granted_by, "The person who signed")
        if granted_by.role not in CONSENTING_ROLES:
            raise ValidationError("A release is signed by a parent or guardian of the case.")
    if court_order is not None and court_order.case_id != case.pk:
        raise ValidationError("That court order belongs to another case.")
    unknown = sorted(set(categories) - set(Category.values))
    if unknown:
        raise ValidationError(f"Unknown category: {', '.join(unknown)}.")
    if not categories:
        raise ValidationError("Choose at least one category of information to release.")
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError("Say what the disclosure is for (its purpose).")
    if granted_on > today:
        raise ValidationError(f"The release date {granted_on} is in the future.")
    if expires_on < today:
        raise ValidationError(f"The expiry date {expires_on} has already passed.")
    if expires_on <= granted_on:
        raise ValidationError("A release expires after the day it is granted.")
    categories = sorted(set(categories))
    release = recorded_create(
        Release,
        actor=actor,
        action=AuditAction.RELEASE_GRANT,
        case_id=case.pk,
        detail={
            "recipient": recipient.pk,
            "categories": categories,
            "expires_on": expires_on,
            "basis": "court_order" if court_order else "signature",
        },
        case=case,
        recipient=recipient,
        granted_by=granted_by,
        court_order=court_order,
        categories=categories,
        purpose=purpose,
        granted_on=granted_on,
        expires_on=expires_on,
    )
    return release


@transaction.atomic
def release_revoke(*, actor: User, release: Release, reason: str) -> Release:
    """Revoke at once: from the next request on, nothing more is disclosed under it."""
    release = (
        Release.objects.select_for_update(no_key=True, of=("self",))
        .select_related("case")
        .get(pk=release.pk)
    )
    access.require(actor, access.Action.EDIT, release.case)
    if release.revoked_at is not None:
        raise ValidationError("This release is already revoked.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the release is revoked (e.g. the parent withdrew it).")
    Release.objects.filter(pk=release.pk).update(
        revoked_at=timezone.now(), revoked_by=actor, revoke_reason=reason
    )
    release.refresh_from_db()
    audit_record(
        actor=actor, action=AuditAction.RELEASE_REVOKE, case_id=release.case_id, obj=release
    )
    return release


@transaction.atomic
def disclosure_record(
    *,
    actor: User | None,
    recipient: Party,
    release: Release,
    category: str,
    channel: str,
    description: str,
    obj: models.Model | None = None,
    carries_substance_use: bool = False,
) -> Disclosure:
    """Log one disclosure under the release that covered it (the accounting reads these)."""
    if channel not in Channel.values:
        raise ValidationError(f"Unknown channel {channel!r}.")
    if release.recipient_id != recipient.pk or category not in release.categories:
        raise ValidationError("That release does not cover this disclosure.")
    disclosure = Disclosure.objects.create(
        case_id=recipient.case_id,
        recipient=recipient,
        category=category,
        channel=channel,
        description=description[:300],
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        purpose=release.purpose,
        release=release,
        carries_substance_use=carries_substance_use,
        actor=actor,
        at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.DISCLOSURE_RECORD,
        case_id=recipient.case_id,
        obj=disclosure,
        detail={
            "recipient": recipient.pk,
            "category": category,
            "channel": channel,
            "release": release.pk,
            "substance_use": carries_substance_use,
        },
    )
    return disclosure


def accounting_for(party: Party) -> models.QuerySet[Disclosure]:
    """A family member's accounting of disclosures: everything disclosed from their case under
    a release they signed or under a court order."""
    return (
        Disclosure.objects.filter(case_id=party.case_id)
        .filter(models.Q(release__granted_by=party) | models.Q(release__court_order__isnull=False))
        .select_related("recipient__person", "release__court_order", "release__granted_by__person")
        .order_by("-at", "-id")
    )


@transaction.atomic
def restriction_set(*, actor: User, case: Case, party: Party, reason: str) -> Restriction:
    """Restrict a parent's access to the child's information, at once, everywhere."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    _of_case(case, party, "That parent")
    if party.role not in PARENT_ROLES:
        raise ValidationError("Only a parent's access to the child's information is restricted.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            "Record the reason (a reasonable belief of abuse or danger) for the restriction."
        )
    if Restriction.objects.filter(party=party, lifted_at__isnull=True).exists():
        raise ValidationError("This parent's access is already restricted.")
    restriction = Restriction.objects.create(
        case=case, party=party, reason=reason, created_by=actor, created_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action=AuditAction.RESTRICTION_SET,
        case_id=case.pk,
        obj=restriction,
        detail={"party": party.pk},
    )
    return restriction


@transaction.atomic
def restriction_lift(*, actor: User, restriction: Restriction, reason: str) -> Restriction:
    restriction = (
        Restriction.objects.select_for_update(no_key=True, of=("self",))
        .select_related("case")
        .get(pk=restriction.pk)
    )
    access.require(actor, access.Action.EDIT, restriction.case)
    if restriction.lifted_at is not None:
        raise ValidationError("This restriction has already been lifted.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the restriction is lifted.")
    Restriction.objects.filter(pk=restriction.pk).update(
        lifted_at=timezone.now(), lifted_by=actor, lift_reason=reason
    )
    restriction.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.RESTRICTION_LIFT,
        case_id=restriction.case_id,
        obj=restriction,
    )
    return restriction


def is_restricted(party: Party) -> bool:
    return Restriction.objects.filter(party=party, lifted_at__isnull=True).exists()


# Documents shared with a family member ---------------------------------------------------------


@transaction.atomic
def document_share(*, actor: User, document: Document, party: Party) -> DocumentShare:
    """Let one family member of the case see and download one document in the portal."""
    case = document.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    _of_case(case, party, "That family member")
    if party.role not in FAMILY_ROLES:
        raise ValidationError(
            "Documents are shared with family members; the professionals around the family see "
            "documents only under a release or a court order."
        )
    if DocumentShare.objects.filter(
        document=document, party=party, withdrawn_at__isnull=True
    ).exists():
        raise ValidationError(
            f"“{document.title}” is already shared with {party.person.full_name}."
        )
    share = DocumentShare.objects.create(
        document=document, party=party, shared_by=actor, shared_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action=AuditAction.DOCUMENT_SHARE,
        case_id=case.pk,
        obj=share,
        detail={"document": document.pk, "party": party.pk},
    )
    return share


@transaction.atomic
def document_unshare(*, actor: User, share: DocumentShare) -> DocumentShare:
    """Withdraw a share at once: the family member no longer sees the document."""
    share = (
        DocumentShare.objects.select_for_update(no_key=True, of=("self",))
        .select_related("document__case", "party__person")
        .get(pk=share.pk)
    )
    access.require(actor, access.Action.EDIT, share.document.case)
    if share.withdrawn_at is not None:
        raise ValidationError("This document is no longer shared.")
    DocumentShare.objects.filter(pk=share.pk).update(withdrawn_at=timezone.now())
    share.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.DOCUMENT_UNSHARE,
        case_id=share.document.case_id,
        obj=share,
        detail={"document": share.document_id, "party": share.party_id},
    )
    return share


def party_accounting(party: Party) -> models.QuerySet[Disclosure]:
    """What a party's accounting of disclosures lists: for a family member, everything
    disclosed under a release they signed or a court order; for a professional, everything
    disclosed to them."""
    if party.role in LEGAL_ROLES:
        return (
            Disclosure.objects.filter(recipient=party)
            .select_related(
                "recipient__person", "release__court_order", "release__granted_by__person"
            )
            .order_by("-at", "-id")
        )
    return accounting_for(party)
