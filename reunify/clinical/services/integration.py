"""Integration: the check-ins of decreasing frequency, what entering a phase starts, and the
parenting arrangement recorded at the end.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reunify import access
from reunify.accounts.models import User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.audit.recorded import recorded_create
from reunify.cases.models import FAMILY_ROLES, Case, Phase
from reunify.cases.services import (
    require_open,
    require_text,
)
from reunify.clinical.models import (
    Appointment,
    AppointmentKind,
    Modality,
    ParentingArrangement,
)
from reunify.clinical.services.ladder import ladder_start

# Weeks between integration check-ins: decreasing frequency (PRODUCT.md §2, phase 5).
CHECKIN_WEEKS = (2, 4, 8)


def checkins_schedule(*, actor: User, case: Case) -> list[Appointment]:
    """On entering integration: check-ins at decreasing frequency (2, 4, then 8 weeks apart)."""
    family = [p for p in case.parties.all() if p.role in FAMILY_ROLES]
    local_now = timezone.localtime()
    start = local_now.replace(hour=10, minute=0, second=0, microsecond=0)
    appointments = []
    offset = dt.timedelta()
    for weeks in CHECKIN_WEEKS:
        offset += dt.timedelta(weeks=weeks)
        appointment = Appointment.objects.create(
            case=case,
            kind=AppointmentKind.CHECKIN,
            starts_at=start + offset,
            duration_minutes=50,
            modality=Modality.OFFICE,
            therapist=case.therapist,
            created_by=actor,
            created_at=timezone.now(),
        )
        appointment.participants.set(family)
        appointments.append(appointment)
    audit_record(
        actor=actor,
        action=AuditAction.CHECKIN_SCHEDULE,
        case_id=case.pk,
        detail={"appointments": [a.pk for a in appointments]},
    )
    return appointments


def on_phase_entered(
    *, actor: User, case: Case, phase: str, effective_on: dt.date | None = None
) -> None:
    """Called by cases.services after a move: start the ladder (on the day the move took
    effect), or schedule the check-ins (from today: a check-in is never booked in the past)."""
    if phase == Phase.THERAPEUTIC_CONTACT:
        ladder_start(actor=actor, case=case, effective_on=effective_on)
    elif phase == Phase.INTEGRATION:
        checkins_schedule(actor=actor, case=case)


@transaction.atomic
def arrangement_record(
    *, actor: User, case: Case, description: str, effective_on: dt.date
) -> ParentingArrangement:
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if case.phase != Phase.INTEGRATION:
        raise ValidationError(
            "The parenting-time arrangement is recorded in integration and maintenance."
        )
    arrangement = recorded_create(
        ParentingArrangement,
        actor=actor,
        action=AuditAction.ARRANGEMENT_RECORD,
        case_id=case.pk,
        case=case,
        description=require_text(description, "The arrangement"),
        effective_on=effective_on,
    )
    return arrangement
