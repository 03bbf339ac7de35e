"""The contact-visit record: what happened at a visit, in observed facts (a custody opinion is
flagged before it is saved), and whether a safety concern was raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reunify import access
from reunify.accounts.models import User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.cases.models import Party
from reunify.cases.services import (
    party_of,
    require_open,
)
from reunify.clinical.models import (
    Appointment,
    AppointmentStatus,
    ContactRecord,
    EarlyEndReason,
)
from reunify.clinical.services.scheduling import editable, require_started

# Contact records -------------------------------------------------------------------------------

# Words that belong to a custody opinion, not to an observation of facts.
OPINION_PATTERNS = [
    r"\bshould (?:have|get|be given|keep|lose) (?:full |sole |primary |joint )?custody\b",
    r"\brecommend\w*\b",
    r"\b(?:sole|full|primary|joint) custody\b",
    r"\bbetter parent\b",
    r"\bunfit\b",
    r"\bshould (?:live|stay|reside) with\b",
    r"\bin the (?:child['\u2019]?s )?best interests?\b",
]


def opinion_words(text: str) -> list[str]:
    """The phrases in a monitor's text that read as a custody opinion rather than a fact."""
    found = []
    for pattern in OPINION_PATTERNS:
        found += [m.group(0) for m in re.finditer(pattern, text, flags=re.IGNORECASE)]
    return found


class OpinionWarning(ValidationError):
    """The observations read as an opinion; saved only when the author confirms they are facts."""

    def __init__(self, phrases: list[str]) -> None:
        self.phrases = phrases
        quoted = ", ".join(f"“{p}”" for p in phrases)
        super().__init__(
            f"The observations contain words of a custody opinion ({quoted}). Monitors record "
            "facts: what was said and done. Rephrase, or confirm that these are quoted facts."
        )


@dataclass(frozen=True)
class ContactFacts:
    """What a monitor or therapist records about one contact visit."""

    duration_minutes: int
    comfort_before: int
    comfort_after: int
    brought_by: Party | None = None
    observers: str = ""
    critical_incidents: str = ""
    observations: str = ""
    ended_early_reason: str = ""
    safety_concern: bool = False
    safety_concern_note: str = ""


@transaction.atomic
def contact_record(
    *, actor: User, appointment: Appointment, facts: ContactFacts, confirm_facts: bool = False
) -> ContactRecord:
    """Record a contact visit (completed, or ended early with its reason). A raised safety
    concern pauses the case and holds the visits still to come, when recorded through
    `process.pausing.contact_record`."""
    case = appointment.case
    access.require_appointment(actor, access.Action.RECORD, appointment)
    require_open(case)
    if not appointment.is_contact:
        raise ValidationError("Only a contact visit has a contact record.")
    editable(appointment)
    if appointment.status == AppointmentStatus.HELD:
        raise ValidationError(
            "This visit is held (the case paused or the ladder stepped down); reschedule it "
            "once it may go ahead, then record it."
        )
    require_started(appointment)
    if ContactRecord.objects.filter(appointment=appointment).exists():
        raise ValidationError("This visit has already been recorded.")
    for label, value in (("before", facts.comfort_before), ("after", facts.comfort_after)):
        if not 0 <= value <= 10:
            raise ValidationError(f"The child's comfort {label} the visit is rated 0 to 10.")
    if not 1 <= facts.duration_minutes <= 600:
        raise ValidationError("Give how long the visit lasted, in minutes.")
    if facts.brought_by is not None:
        party_of(case, facts.brought_by, "The person who brought the child")
    if facts.ended_early_reason and facts.ended_early_reason not in EarlyEndReason.values:
        raise ValidationError(f"Unknown reason for ending early {facts.ended_early_reason!r}.")
    if facts.safety_concern and not facts.safety_concern_note.strip():
        raise ValidationError("Describe the safety concern.")
    phrases = opinion_words(" ".join([facts.observations, facts.critical_incidents]))
    if phrases and not confirm_facts:
        raise OpinionWarning(phrases)
    record = ContactRecord.objects.create(
        appointment=appointment,
        brought_by=facts.brought_by,
        observers=facts.observers.strip(),
        duration_minutes=facts.duration_minutes,
        comfort_before=facts.comfort_before,
        comfort_after=facts.comfort_after,
        critical_incidents=facts.critical_incidents.strip(),
        observations=facts.observations.strip(),
        safety_concern=facts.safety_concern,
        safety_concern_note=facts.safety_concern_note.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    status = (
        AppointmentStatus.ENDED_EARLY if facts.ended_early_reason else AppointmentStatus.COMPLETED
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        status=status, ended_early_reason=facts.ended_early_reason
    )
    appointment.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.CONTACT_RECORD,
        case_id=case.pk,
        obj=record,
        detail={
            "appointment": appointment.pk,
            "comfort": [facts.comfort_before, facts.comfort_after],
            "ended_early": facts.ended_early_reason,
            "safety_concern": facts.safety_concern,
            "opinion_words_confirmed": phrases,
        },
    )
    return record
