"""Recording safety screens. A screen that finds a contraindication present pauses the case:
`process.pausing.screening_record` records through here and pauses in the same transaction."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reunify import access
from reunify.accounts.models import User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.cases.models import Case
from reunify.cases.services import case_lock, require_open
from reunify.safety.models import Contraindication, FindingStatus, Screening, ScreeningFinding


@transaction.atomic
def screening_record(
    *,
    actor: User,
    case: Case,
    screened_on: dt.date,
    findings: dict[str, tuple[str, str]],
    note: str = "",
) -> Screening:
    """Record a screen: every contraindication as present, absent or unknown, with a note.

    `findings` maps each contraindication code to (status, note). All nine must be answered:
    a screen that skips one is not a screen.
    """
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if screened_on > timezone.localdate():
        raise ValidationError(f"The screening date {screened_on} is in the future.")
    unknown_codes = sorted(set(findings) - set(Contraindication.values))
    if unknown_codes:
        raise ValidationError(f"Unknown contraindication: {', '.join(unknown_codes)}.")
    missing = [c.label for c in Contraindication if c.value not in findings]
    if missing:
        raise ValidationError(
            "Answer every item of the screen; missing: " + "; ".join(missing) + "."
        )
    for code, (status, finding_note) in findings.items():
        if status not in FindingStatus.values:
            raise ValidationError(
                f"{Contraindication(code).label}: choose present, absent or unknown."
            )
        if status == FindingStatus.PRESENT and not finding_note.strip():
            raise ValidationError(
                f"{Contraindication(code).label} is marked present: describe what was found."
            )
    case = case_lock(case)
    screening = Screening.objects.create(
        case=case,
        screened_on=screened_on,
        note=note.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    ScreeningFinding.objects.bulk_create(
        ScreeningFinding(
            screening=screening, contraindication=code, status=status, note=finding_note.strip()
        )
        for code, (status, finding_note) in sorted(findings.items())
    )
    audit_record(
        actor=actor,
        action=AuditAction.SCREENING_RECORD,
        case_id=case.pk,
        obj=screening,
        detail={
            "screened_on": screened_on,
            "present": sorted(c for c, (s, _) in findings.items() if s == FindingStatus.PRESENT),
            "unknown": sorted(c for c, (s, _) in findings.items() if s == FindingStatus.UNKNOWN),
        },
    )
    return screening
