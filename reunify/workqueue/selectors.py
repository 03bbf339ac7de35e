"""The work queue: each kind of thing waiting for the clinician, from its own source.

Every source takes the user and the open cases they may see (loaded once) and returns queue
items, in a fixed number of queries however many cases there are. The urgent section is the
list `URGENT_SOURCES`: a new kind of urgent item is one more function in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    TextChoices,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from reunify import access
from reunify.accounts.models import User
from reunify.cases import selectors as case_selectors
from reunify.cases.models import Case
from reunify.clinical.models import ContactRecord, ProgressNote
from reunify.measures.models import ChildCheckin
from reunify.measures.selectors import urgent_items as urgent_checkins
from reunify.messaging.models import Message
from reunify.reports.dashboard import PausedCase, _screens_due
from reunify.reports.dashboard import reports_due as court_reports_due
from reunify.safety.models import Screening


class ItemKind(TextChoices):
    """What kind of thing waits in the queue."""

    SAFETY_PAUSE = "safety_pause", gettext_lazy("Paused for safety")
    SAFETY_CONCERN = "safety_concern", gettext_lazy("Safety concern")
    UNSAFE_CHECKIN = "unsafe_checkin", gettext_lazy("Unsafe check-in")
    MESSAGE = "message", gettext_lazy("Unread messages")
    CHECKIN = "checkin", gettext_lazy("Unread check-ins")
    DRAFT_NOTE = "draft_note", gettext_lazy("Draft note to sign")
    RESCREEN = "rescreen", gettext_lazy("Re-screen overdue")
    REPORT_DUE = "report_due", gettext_lazy("Court report due")
    OVERRIDE = "override", gettext_lazy("Override to co-sign")


@dataclass(frozen=True)
class QueueItem:
    """One thing waiting for the clinician: what, on which case, since when, where to do it."""

    kind: str
    case: Case
    text: str
    url: str
    since: dt.datetime | None = None
    due_on: dt.date | None = None

    @property
    def kind_label(self) -> str:
        return str(ItemKind(self.kind).label)

    @property
    def age_days(self) -> int | None:
        if self.since is None:
            return None
        return (timezone.localdate() - timezone.localdate(self.since)).days


@dataclass
class WorkQueue:
    """What needs the clinician now, section by section, most pressing first."""

    urgent: list[QueueItem] = field(default_factory=list)
    messages: list[QueueItem] = field(default_factory=list)
    checkins: list[QueueItem] = field(default_factory=list)
    drafts: list[QueueItem] = field(default_factory=list)
    rescreens: list[QueueItem] = field(default_factory=list)
    reports: list[QueueItem] = field(default_factory=list)
    overrides: list[QueueItem] = field(default_factory=list)

    def sections(self) -> list[tuple[str, str, list[QueueItem]]]:
        return [
            ("urgent", _("Urgent: safety"), self.urgent),
            ("messages", _("Unread messages"), self.messages),
            ("checkins", _("Unread check-ins"), self.checkins),
            ("drafts", _("Draft notes waiting to be signed"), self.drafts),
            ("rescreens", _("Safety re-screens overdue"), self.rescreens),
            ("reports", _("Court reports due"), self.reports),
            ("overrides", _("Overrides waiting for your co-signature"), self.overrides),
        ]

    @property
    def items(self) -> list[QueueItem]:
        return [item for _key, _title, items in self.sections() for item in items]

    @property
    def cases(self) -> list[Case]:
        return list({item.case.pk: item.case for item in self.items}.values())


Source = Callable[[User, list[Case]], list[QueueItem]]


def _treated(user: User, cases: list[Case]) -> list[Case]:
    """The cases among `cases` this user treats (therapist or co-therapist): read from the
    `treated` flag `work_queue` loads them with, else one query."""
    if all(hasattr(case, "treated") for case in cases):
        return [case for case in cases if case.treated]  # type: ignore[attr-defined]
    ids = set(
        Case.objects.filter(
            access.checkin_visibility(user), pk__in=[c.pk for c in cases]
        ).values_list("pk", flat=True)
    )
    return [case for case in cases if case.pk in ids]


def _case_url(case: Case, anchor: str = "") -> str:
    return reverse("case_detail", args=[case.pk]) + (f"#{anchor}" if anchor else "")


# Urgent sources --------------------------------------------------------------------------------


def safety_pauses(user: User, cases: list[Case]) -> list[QueueItem]:
    """Cases paused by a safety finding or concern: resuming needs a fresh, clear screen."""
    now = timezone.now()
    paused = [
        PausedCase(
            case, timezone.localdate(case.paused_at), (now - case.paused_at).days, case.pause_reason
        )
        for case in cases
        if case.paused_at is not None and case.paused_for_safety
    ]
    return [
        QueueItem(
            ItemKind.SAFETY_PAUSE,
            pause.case,
            _("Paused for safety since %(since)s: %(reason)s")
            % {"since": pause.since.isoformat(), "reason": pause.reason},
            reverse("screening_new", args=[pause.case.pk]),
            since=pause.case.paused_at,
        )
        for pause in paused
    ]


def _last_screen(case_field: str) -> Subquery:
    """When the case's newest safety screen was recorded (a subquery on `case_field`)."""
    return Subquery(
        Screening.objects.filter(case_id=OuterRef(case_field))
        .order_by("-screened_on", "-recorded_at")
        .values("recorded_at")[:1]
    )


def safety_concerns(user: User, cases: list[Case]) -> list[QueueItem]:
    """Safety concerns raised at a contact visit or in a progress note since the case's latest
    safety screen (a fresh screen is how a concern is dealt with): two queries."""
    by_id = {case.pk: case for case in _treated(user, cases)}
    items = []
    visits = (
        ContactRecord.objects.filter(appointment__case_id__in=by_id, safety_concern=True)
        .annotate(last_screen=_last_screen("appointment__case_id"))
        .filter(Q(last_screen__isnull=True) | Q(recorded_at__gt=F("last_screen")))
        .order_by("-recorded_at")
        .values_list("appointment_id", "appointment__case_id", "recorded_at")
    )
    for appointment_id, case_id, at in visits:
        items.append(
            QueueItem(
                ItemKind.SAFETY_CONCERN,
                by_id[case_id],
                _("A safety concern was recorded at a contact visit."),
                reverse("appointment_detail", args=[appointment_id]) + "#record-heading",
                since=at,
            )
        )
    notes = (
        ProgressNote.objects.filter(case_id__in=by_id, safety_concern=True)
        .annotate(last_screen=_last_screen("case_id"))
        .filter(Q(last_screen__isnull=True) | Q(created_at__gt=F("last_screen")))
        .order_by("-created_at")
        .values_list("pk", "appointment_id", "case_id", "created_at")
    )
    for note_id, appointment_id, case_id, at in notes:
        items.append(
            QueueItem(
                ItemKind.SAFETY_CONCERN,
                by_id[case_id],
                _("A progress note raises a safety concern."),
                reverse("appointment_detail", args=[appointment_id]) + f"#note-{note_id}",
                since=at,
            )
        )
    return items


def unsafe_checkins(user: User, cases: list[Case]) -> list[QueueItem]:
    """A child's check-in that raised a safety concern not yet answered by a fresh screen
    (the measures app's own list, which names the date, never the child's words)."""
    by_id = {case.pk: case for case in cases}
    return [
        QueueItem(ItemKind.UNSAFE_CHECKIN, by_id[item.case_id], item.text, item.url, since=item.at)
        for item in urgent_checkins(user)
        if item.case_id in by_id
    ]


# The urgent section, newest first. Another kind of urgent item is one more source here.
URGENT_SOURCES: list[Source] = [unsafe_checkins, safety_pauses, safety_concerns]


# The other sections ----------------------------------------------------------------------------


def unread_messages(user: User, cases: list[Case]) -> list[QueueItem]:
    """Per family member: messages to the therapists nobody has opened yet (one query)."""
    by_id = {case.pk: case for case in _treated(user, cases)}
    rows = (
        Message.objects.filter(case_id__in=by_id, from_party=True, read_at__isnull=True)
        .values("case_id", "party_id", "party__person__first_name", "party__person__last_name")
        .annotate(n=Count("id"), first_at=Max("created_at"))
        .order_by("first_at")
    )
    return [
        QueueItem(
            ItemKind.MESSAGE,
            by_id[row["case_id"]],
            ngettext(
                "%(n)d unread message from %(name)s",
                "%(n)d unread messages from %(name)s",
                row["n"],
            )
            % {
                "n": row["n"],
                "name": f"{row['party__person__first_name']} {row['party__person__last_name']}",
            },
            reverse("disclosure_conversation", args=[row["case_id"], row["party_id"]]),
            since=row["first_at"],
        )
        for row in rows
    ]


def unread_checkins(user: User, cases: list[Case]) -> list[QueueItem]:
    """Per case: the child's check-ins no treating therapist has opened yet, leaving out those
    the user recorded themselves in session (one query)."""
    by_id = {case.pk: case for case in _treated(user, cases)}
    rows = (
        ChildCheckin.objects.filter(case_id__in=by_id, read_at__isnull=True)
        .exclude(recorded_by=user)
        .values("case_id")
        .annotate(n=Count("id"), last_at=Max("recorded_at"))
        .order_by("last_at")
    )
    return [
        QueueItem(
            ItemKind.CHECKIN,
            by_id[row["case_id"]],
            ngettext("%(n)d new check-in", "%(n)d new check-ins", row["n"]) % {"n": row["n"]},
            reverse("checkin_list", args=[row["case_id"]]),
            since=row["last_at"],
        )
        for row in rows
    ]


def draft_notes(user: User, cases: list[Case]) -> list[QueueItem]:
    """The user's own progress notes still unsigned, oldest first, with their age (one query)."""
    by_id = {case.pk: case for case in cases}
    notes = (
        ProgressNote.objects.filter(case_id__in=by_id, author=user, signed_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("pk", "appointment_id", "case_id", "created_at")
    )
    return [
        QueueItem(
            ItemKind.DRAFT_NOTE,
            by_id[case_id],
            _("A draft progress note waits to be signed."),
            reverse("appointment_detail", args=[appointment_id]) + f"#sign-{note_id}-heading",
            since=created_at,
        )
        for note_id, appointment_id, case_id, created_at in notes
    ]


def overdue_rescreens(user: User, cases: list[Case]) -> list[QueueItem]:
    """The cases one treats whose safety re-screen is overdue (the dashboard's source)."""
    treated = _treated(user, cases)
    return [
        QueueItem(
            ItemKind.RESCREEN,
            due.case,
            _("No safety screen yet.")
            if due.due_on is None
            else _("The safety re-screen was due on %(day)s.") % {"day": due.due_on.isoformat()},
            reverse("screening_new", args=[due.case.pk]),
            due_on=due.due_on,
        )
        for due in _screens_due(treated, timezone.localdate())
        if due.overdue
    ]


def reports_due(user: User, cases: list[Case]) -> list[QueueItem]:
    """Court reports due under the reporting duties of the orders of cases one treats (the
    dashboard's source, so its due dates are the dashboard's)."""
    return [
        QueueItem(
            ItemKind.REPORT_DUE,
            due.case,
            (
                _("Overdue since %(day)s under court order %(number)s: %(text)s")
                if due.overdue
                else _("Due on %(day)s under court order %(number)s: %(text)s")
            )
            % {"day": due.due_on.isoformat(), "number": due.order_number, "text": due.text},
            reverse("report_new", args=[due.case.pk]),
            due_on=due.due_on,
        )
        for due in court_reports_due(_treated(user, cases))
    ]


def overrides_to_cosign(user: User, cases: list[Case]) -> list[QueueItem]:
    """For a supervisor: overrides of their team waiting for a co-signature (one query)."""
    return [
        QueueItem(
            ItemKind.OVERRIDE,
            override.case,
            _("%(who)s asks to move the case to %(phase)s.")
            % {
                "who": override.requested_by.display_name,
                "phase": override.get_to_phase_display(),
            },
            reverse("caseload") + f"#override-{override.pk}-title",
            since=override.requested_at,
        )
        for override in case_selectors.overrides_awaiting(user)
    ]


def work_queue(user: User) -> WorkQueue:
    """Everything waiting for this clinician now, in a fixed number of queries."""
    treated = ExpressionWrapper(access.checkin_visibility(user), output_field=BooleanField())
    cases = list(
        access.cases_for(user)
        .open()
        .select_related("therapist")
        .annotate(treated=treated)
        .order_by("title", "id")
    )
    urgent = [item for source in URGENT_SOURCES for item in source(user, cases)]
    urgent.sort(key=lambda item: item.since or timezone.now(), reverse=True)
    return WorkQueue(
        urgent=urgent,
        messages=unread_messages(user, cases),
        checkins=unread_checkins(user, cases),
        drafts=draft_notes(user, cases),
        rescreens=overdue_rescreens(user, cases),
        reports=reports_due(user, cases),
        overrides=overrides_to_cosign(user, cases),
    )
