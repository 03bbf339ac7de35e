"""Therapist qualifications: recording a clinician's licence and training, and the rule that
a clinician whose licence has expired is assigned no new case (PRODUCT.md §1, §4).

A clinician with no licence on file is not blocked (a practice may set up accounts before it
enters licences) but shows as "no licence on file" wherever licences are shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reunify import access
from reunify.accounts.models import LicenceType, Qualification, Role, TrainingArea, User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record

# A licence that runs out within this many days is flagged on the caseload.
EXPIRY_WARNING_DAYS = 60
CLINICAL_ROLES = (Role.THERAPIST, Role.SUPERVISOR)


def qualification_of(user: User) -> Qualification | None:
    return Qualification.objects.filter(user=user).first()


def licence_problem(user: User, *, today: dt.date | None = None) -> str | None:
    """Why this clinician may not be given a new case, or None."""
    qualification = qualification_of(user)
    today = today or timezone.localdate()
    if qualification is None or not qualification.is_expired(today):
        return None
    return (
        f"{user.display_name}'s licence ({qualification}) expired on "
        f"{qualification.licence_expires_on}: a therapist with an expired licence cannot be "
        "assigned a new case until the renewal is recorded"
    )


def require_current_licence(user: User) -> None:
    problem = licence_problem(user)
    if problem:
        raise ValidationError(problem + ".")


@dataclass(frozen=True)
class LicenceStatus:
    """A clinician's licence as the caseload and the qualifications page describe it."""

    user: User
    qualification: Qualification | None
    today: dt.date

    @property
    def expired(self) -> bool:
        return self.qualification is not None and self.qualification.is_expired(self.today)

    @property
    def days_left(self) -> int | None:
        if self.qualification is None:
            return None
        return (self.qualification.licence_expires_on - self.today).days

    @property
    def expiring(self) -> bool:
        days = self.days_left
        return days is not None and 0 <= days <= EXPIRY_WARNING_DAYS

    @property
    def missing(self) -> bool:
        return self.qualification is None

    @property
    def words(self) -> str:
        q = self.qualification
        if q is None:
            return "no licence on file"
        if self.expired:
            return f"licence expired on {q.licence_expires_on}: no new cases"
        if self.expiring:
            return f"licence expires on {q.licence_expires_on} (in {self.days_left} days)"
        return f"licence current until {q.licence_expires_on}"


def licence_statuses(users: list[User], *, today: dt.date | None = None) -> list[LicenceStatus]:
    """The licence of each clinician, one query however many."""
    today = today or timezone.localdate()
    found = {q.user_id: q for q in Qualification.objects.filter(user__in=[u.pk for u in users])}
    return [LicenceStatus(u, found.get(u.pk), today) for u in users]


@transaction.atomic
def qualification_record(
    *,
    actor: User | None,
    user: User,
    licence_type: str,
    licence_number: str,
    licence_state: str,
    licence_expires_on: dt.date,
    training_areas: list[str],
    licence_other: str = "",
) -> Qualification:
    """Record (or replace) a clinician's licence and training. `actor` is None only for the
    command line and the demo loader."""
    if actor is not None and not access.may_manage_qualifications(actor):
        raise PermissionDenied("Only practice administrators and supervisors record licences.")
    if user.role not in CLINICAL_ROLES:
        raise ValidationError(f"{user.username} is not a therapist or supervisor.")
    if licence_type not in LicenceType.values:
        raise ValidationError(f"Unknown licence type {licence_type!r}.")
    licence_other = (licence_other or "").strip()
    if licence_type == LicenceType.OTHER and not licence_other:
        raise ValidationError("Name the licence when its type is “other”.")
    licence_number = (licence_number or "").strip()
    licence_state = (licence_state or "").strip()
    if not licence_number:
        raise ValidationError("The licence number is required.")
    if not licence_state:
        raise ValidationError("The state that issued the licence is required.")
    unknown = [a for a in training_areas if a not in TrainingArea.values]
    if unknown:
        raise ValidationError(f"Unknown training area: {', '.join(unknown)}.")
    fields = {
        "licence_type": licence_type,
        "licence_other": licence_other if licence_type == LicenceType.OTHER else "",
        "licence_number": licence_number,
        "licence_state": licence_state,
        "licence_expires_on": licence_expires_on,
        "training_areas": sorted(set(training_areas)),
        "updated_by": actor,
        "updated_at": timezone.now(),
    }
    qualification, created = Qualification.objects.update_or_create(user=user, defaults=fields)
    audit_record(
        actor=actor,
        action=AuditAction.QUALIFICATION_RECORD,
        obj=qualification,
        detail={
            "user": user.username,
            "licence_type": licence_type,
            "licence_state": licence_state,
            "expires_on": licence_expires_on,
            "training_areas": fields["training_areas"],
            "created": created,
        },
    )
    return qualification
