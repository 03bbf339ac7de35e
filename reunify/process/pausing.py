"""The writes that pause a case: records whose content is a safety signal.

Each function here records through the record's own service and then, in the same
transaction, pauses the case (which holds its upcoming contact visits) when the record says
so. These are the only ways to record them from a view, the API, the command line or the demo:
the layering test refuses a page that imports the record services' versions directly.

- A safety screen that finds a contraindication present.
- A contact visit recorded with a safety concern.
- A progress note that raises a safety concern, written or signed with what is on the screen
  (once: changing a draft that raised it already does not pause again a case resumed since).
- A child's check-in that is unsafe; the treating therapists are e-mailed too.
- A court order, recorded, amended or superseding another, with a no-contact term in force.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from reunify import access
from reunify.accounts.models import User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.cases import services as cases_services
from reunify.cases.models import Case, CourtOrder, TermKind
from reunify.cases.services import case_lock
from reunify.clinical import services as clinical_services
from reunify.clinical.models import ContactRecord, ProgressNote
from reunify.mail import send_after_commit
from reunify.measures import services as measures_services
from reunify.measures.models import ChildCheckin
from reunify.process.transitions import pause_for_order, pause_for_safety
from reunify.safety import services as safety_services
from reunify.safety.models import Contraindication, FindingStatus, Screening

P = ParamSpec("P")
R = TypeVar("R")


def _then(
    record: Callable[P, R],
    react: Callable[[User, R, Any], None],
    *,
    before: Callable[[dict[str, Any]], Any] | None = None,
) -> Callable[P, R]:
    """`record`, then `react(actor, what it saved, what before read)`, in one transaction."""

    @functools.wraps(record)
    @transaction.atomic
    def write(*args: P.args, **kwargs: P.kwargs) -> R:
        state = before(kwargs) if before is not None else None
        saved = record(*args, **kwargs)
        react(cast(User, kwargs["actor"]), saved, state)
        return saved

    return write


def _screen_found(actor: User, screening: Screening, _state: Any) -> None:
    present = [
        Contraindication(finding.contraindication).label.lower()
        for finding in screening.findings.order_by("contraindication")
        if finding.status == FindingStatus.PRESENT
    ]
    if present:
        pause_for_safety(
            actor=actor,
            case=screening.case,
            reason=_("safety screen of %(date)s found %(found)s")
            % {"date": screening.screened_on, "found": "; ".join(present)},
        )


def _visit_before(given: dict[str, Any]) -> Case:
    """Lock the case before the visit's record is written (the lock order: the case first)."""
    appointment = given["appointment"]
    access.require_appointment(given["actor"], access.Action.RECORD, appointment)
    return case_lock(appointment.case)


def _visit_concern(actor: User, record: ContactRecord, case: Case) -> None:
    if record.safety_concern:
        pause_for_safety(
            actor=actor,
            case=case_lock(case),
            reason=_("safety concern raised in the contact visit of %(date)s: %(concern)s")
            % {
                "date": timezone.localdate(record.appointment.starts_at),
                "concern": record.safety_concern_note,
            },
        )


def _note_before(given: dict[str, Any]) -> bool:
    """Whether the draft being changed or signed raised a concern already, read under the
    locks of its case and then of the draft (the lock order), so two saves of one draft at once
    cannot both miss a new concern."""
    note = given.get("note")
    if note is None:
        return False
    case = note.case
    access.require(given["actor"], access.Action.EDIT, case)
    case_lock(case)
    raised = (
        ProgressNote.objects.select_for_update(no_key=True)
        .filter(pk=note.pk)
        .values_list("safety_concern", flat=True)
        .first()
    )
    return bool(raised)


def _note_concern(actor: User, note: ProgressNote, raised_before: bool) -> None:
    if note.safety_concern and not raised_before:
        appointment = note.appointment
        pause_for_safety(
            actor=actor,
            case=case_lock(appointment.case),
            reason=_("safety concern raised in the note of %(date)s: %(concern)s")
            % {
                "date": timezone.localdate(appointment.starts_at),
                "concern": note.safety_concern_note,
            },
        )


def _checkin_concern(actor: User, checkin: ChildCheckin, _state: Any) -> None:
    """Treat the unsafe check-in as any other safety concern, then tell the therapists."""
    if not checkin.safety_concern:
        return
    case = checkin.case
    day = timezone.localdate(checkin.recorded_at)
    paused = pause_for_safety(
        actor=actor,
        case=case_lock(case),
        reason=_("safety concern raised in the child's check-in of %(date)s") % {"date": day},
    )
    therapists = [case.therapist, *case.co_therapists.all()]
    # The therapist who recorded it in session knows already; the others are told.
    recipients = sorted(
        {t.email for t in therapists if t.is_active and t.email and t.pk != actor.pk}
    )
    link = settings.REUNIFY_PUBLIC_URL.rstrip("/") + reverse("checkin_list", args=[case.pk])
    # It may be read on a shared screen: the case's reference and a link, no name, no words.
    subject = _("Reunify: a check-in on case %(number)s needs your attention") % {"number": case.pk}
    body = _(
        "A child's check-in on case %(number)s, received on %(date)s, raised a safety "
        "concern. The case is paused and its upcoming contact visits are held until a fresh "
        "safety screen.\n\nOpen it in Reunify: %(link)s\n"
    ) % {"number": case.pk, "date": day, "link": link}
    messages = [(subject, body, None, [email]) for email in recipients]
    send_after_commit(messages, what="check-in concern", case_id=case.pk, obj=checkin)
    audit_record(
        actor=actor,
        action=AuditAction.CHILD_CHECKIN_CONCERN,
        case_id=case.pk,
        obj=checkin,
        detail={
            "paused": paused is not None,
            "notified": [t.pk for t in therapists if t.email in recipients],
        },
    )


def _order_bans(actor: User, order: CourtOrder, _state: Any) -> None:
    """A no-contact term in force today pauses the case at once."""
    today = timezone.localdate()
    bans = [t for t in order.terms.all() if t.kind == TermKind.NO_CONTACT and t.in_force(today)]
    if bans:
        pause_for_order(
            actor=actor,
            case=order.case,
            reason=_("court order %(number)s: %(term)s")
            % {"number": order.number, "term": bans[0].describe()},
        )


screening_record = _then(safety_services.screening_record, _screen_found)
contact_record = _then(clinical_services.contact_record, _visit_concern, before=_visit_before)
note_write = _then(clinical_services.note_write, _note_concern, before=_note_before)
note_sign = _then(clinical_services.note_sign, _note_concern, before=_note_before)
checkin_record = _then(measures_services.checkin_record, _checkin_concern)
court_order_record = _then(cases_services.court_order_record, _order_bans)
court_order_amend = _then(cases_services.court_order_amend, _order_bans)
court_order_supersede = _then(cases_services.court_order_supersede, _order_bans)
