"""Reads of case data, already narrowed to what the asking user may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Count, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from reunify import access
from reunify.accounts.models import Role, User
from reunify.audit.actions import AuditAction
from reunify.audit.models import Event
from reunify.cases.models import (
    Case,
    CaseQuerySet,
    CourtOrder,
    OverrideRequest,
    OverrideStatus,
    Party,
    Phase,
)
from reunify.process.gates import Gate, gate_for, screen_due_on, with_gate_facts


@dataclass(frozen=True)
class CaseloadRow:
    """One line of a therapist's caseload."""

    case: Case
    gate: Gate
    days_in_phase: int
    screen_due_on: dt.date | None

    @property
    def screen_overdue(self) -> bool:
        return self.screen_due_on is not None and self.screen_due_on < timezone.localdate()


def case_search(cases: CaseQuerySet, search: str) -> CaseQuerySet:
    """Narrow cases, in the query, to those whose family (title), a party's name or a case
    number (the case's own, or a court case number) matches. Only the parties of `cases`
    themselves are searched, so a name matches only in a case the user may already see."""
    search = " ".join(search.split())
    if not search:
        return cases
    full_name = Concat("person__first_name", Value(" "), "person__last_name")
    parties = (
        Party.objects.filter(case__in=cases)
        .annotate(full_name=full_name)
        .filter(full_name__icontains=search)
        .values("case_id")
    )
    orders = CourtOrder.objects.filter(case__in=cases, court_case_number__icontains=search).values(
        "case_id"
    )
    matches = Q(title__icontains=search) | Q(pk__in=parties) | Q(pk__in=orders)
    number = search.removeprefix("#")
    if number.isdigit():
        matches |= Q(pk=int(number))
    return cases.filter(matches)


def caseload_cases(user: User, *, include_closed: bool = False, search: str = "") -> CaseQuerySet:
    """The cases of a user's caseload (see `caseload`), not yet loaded: page them first."""
    cases = case_search(access.cases_for(user), search)
    if not include_closed:
        cases = cases.open()
    return cases.order_by("title", "id")


def caseload_rows(cases: Iterable[Case]) -> list[CaseloadRow]:
    """Caseload rows of cases loaded `with_gate_facts`: the gate of each, computed here."""
    now = timezone.now()
    return [
        CaseloadRow(
            case=case,
            gate=gate_for(case),
            days_in_phase=(now - case.phase_entered_at).days,
            screen_due_on=screen_due_on(case) if case.phase != Phase.CLOSED else None,
        )
        for case in cases
    ]


def caseload(user: User, *, include_closed: bool = False, search: str = "") -> list[CaseloadRow]:
    """The cases a user may see with their gate, in a fixed number of queries; `search`
    narrows them (see `case_search`)."""
    cases = caseload_cases(user, include_closed=include_closed, search=search)
    return caseload_rows(with_gate_facts(cases))


# The caseload page shows this many cases at a time.
CASELOAD_PAGE_SIZE = 50


@dataclass(frozen=True)
class CaseloadPage:
    """One page of the caseload: its rows, where it stands, and the cases either side.

    `after` and `before` are the case ids the next and previous pages start from (None at
    either end)."""

    rows: list[CaseloadRow]
    number: int
    pages: int
    total: int
    after: int | None
    before: int | None


def caseload_page(
    user: User,
    *,
    search: str = "",
    after: int | None = None,
    before: int | None = None,
    size: int = CASELOAD_PAGE_SIZE,
) -> CaseloadPage:
    """A page of the caseload, keyset on (title, id): the cases just after the case `after`
    (or just before the case `before`), the first page with neither. A case opened meanwhile
    moves no other case between pages: the next page starts after the last case shown."""
    cases = caseload_cases(user, search=search)
    anchor = after if after is not None else before
    if anchor is not None:
        # The anchor's title, from the cases this user sees only (another's case anchors nothing).
        title = Subquery(cases.filter(pk=anchor).values("title")[:1])
        if after is not None:
            chosen = cases.filter(Q(title__gt=title) | Q(title=title, pk__gt=anchor))
        else:
            chosen = cases.filter(Q(title__lt=title) | Q(title=title, pk__lt=anchor)).order_by(
                "-title", "-id"
            )
    else:
        chosen = cases
    rows = caseload_rows(with_gate_facts(chosen)[:size])
    if anchor is not None and not rows:
        # The anchor is gone from this list (closed, or never the user's): start over.
        return caseload_page(user, search=search, size=size)
    if before is not None:
        rows.reverse()
    if rows:
        first = rows[0].case
        earlier = Q(title__lt=first.title) | Q(title=first.title, pk__lt=first.pk)
        counts = cases.aggregate(total=Count("pk"), earlier=Count("pk", filter=earlier))
    else:
        counts = {"total": cases.count(), "earlier": 0}
    total, shown_before = counts["total"], counts["earlier"]
    return CaseloadPage(
        rows=rows,
        number=shown_before // size + 1,
        pages=max(1, -(-total // size)),
        total=total,
        after=rows[-1].case.pk if rows and shown_before + len(rows) < total else None,
        before=rows[0].case.pk if rows and shown_before > 0 else None,
    )


# What each section of the case page reads beyond the case itself and its parties.
SECTION_PREFETCH: dict[str, tuple[str, ...]] = {
    "parties": ("co_therapists",),
    "timeline": ("transitions__actor", "transitions__cosigned_by", "override_requests"),
    "documents": ("documents__uploaded_by",),
}
# The sections that show a gate (the phase gate, the ladder's) load every fact a gate reads;
# so do the sessions and measures, whose partials read the modules and ratings from it.
GATED_SECTIONS = frozenset({"overview", "ladder", "sessions", "measures"})


def case_detail(user: User, case_id: int, section: str = "overview") -> Case:
    """One case with what one section of its page shows, in a fixed number of queries."""
    cases: QuerySet[Case] = access.cases_for(user).filter(pk=case_id)
    if section in GATED_SECTIONS:
        cases = with_gate_facts(cases)
    else:
        cases = cases.select_related("therapist").prefetch_related(
            Prefetch("parties", queryset=Party.objects.select_related("person"))
        )
    case = cases.prefetch_related("co_therapists", *SECTION_PREFETCH.get(section, ())).first()
    if case is None:
        from django.http import Http404

        raise Http404("No such case.")
    return case


class LookKind(models.TextChoices):
    """What kind of thing an entry of a case's audit listing is."""

    VIEW = "view", _("Viewed")
    DOWNLOAD = "download", _("Downloaded")
    DISCLOSURE = "disclosure", _("Disclosed to a legal party")
    CHANGE = "change", _("Changed")


# Audit events that are looks at the case, not changes to it.
READ_ACTIONS = ("case.view", "document.download", "report.download", "notice.download")
# A list of cases someone saw (the caseload, the API's case list, …): one event per list.
LIST_VIEW = "case.list_view"
_KIND_OF_READ = {
    LookKind.VIEW: Q(action__in=("case.view", LIST_VIEW)),
    LookKind.DOWNLOAD: Q(action__endswith=".download"),
    LookKind.DISCLOSURE: Q(action=AuditAction.DISCLOSURE_RECORD),
}
# The therapist's private psychotherapy notes, the child's check-ins and the tasks they raise
# are no part of the record: neither the timeline nor the audit listing shows them.
_PRIVATE = (
    Q(action__startswith="psychotherapy_note.")
    | Q(action__startswith="child_checkin.")
    | Q(action=AuditAction.TASK_DONE)
)


def _kind_of(action: str) -> LookKind:
    if action in ("case.view", LIST_VIEW):
        return LookKind.VIEW
    if action.endswith(".download"):
        return LookKind.DOWNLOAD
    if action == "disclosure.record":
        return LookKind.DISCLOSURE
    return LookKind.CHANGE


def _name(label: str, first: str | None, last: str | None) -> str:
    """The person's name as the pages print it (`User.display_name`), from joined columns."""
    return f"{first or ''} {last or ''}".strip() or label


@dataclass(frozen=True)
class Look:
    """Someone who looked at (or changed) the case: who, when, what, from where."""

    who: str
    at: dt.datetime
    what: str
    source: str
    kind: str = LookKind.VIEW
    actor_id: int | None = None

    @property
    def kind_label(self) -> str:
        return str(LookKind(self.kind).label)


# The pages and lists a look came from, as `case_view(what=...)` names them.
_WHAT_WORDS = {
    "case": _("the case page"),
    "caseload": _("the caseload (a list of cases)"),
    "dashboard": _("the practice dashboard (a list of cases)"),
    "timeline": _("the timeline"),
    "looks": _("the list of who looked at the case"),
    "api:case_list": _("the case list, through the API"),
    "api:dashboard": _("the practice dashboard, through the API"),
    "api:override_awaiting_list": _("the overrides awaiting co-signature, through the API"),
    "work queue": _("the work queue (a list of cases)"),
}


def look_what_words(what: str) -> str:
    """Where a look came from, in words (the API's `api:case_detail` reads "… through the API")."""
    if what in _WHAT_WORDS:
        return str(_WHAT_WORDS[what])
    if what.startswith("api:"):
        return gettext("%(what)s, through the API") % {"what": what[4:].replace("_", " ")}
    return what.replace("_", " ")


# A page of the "who looked" listing (the case page shows fewer, the API and its page this many).
LOOKS_PER_PAGE = 50


@dataclass(frozen=True)
class LookFilter:
    """What a "who looked" listing is narrowed to: a person, a date range, a kind."""

    person: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    kind: str = ""


def _case_events(case: Case) -> tuple[QuerySet[Event], QuerySet[Event]]:
    """The audit events about this case: its own (by `case_id`), and the lists it was shown
    in (through the `ListedCase` index); two index lookups rather than one OR that neither
    index could answer."""
    own = Event.objects.filter(case_id=case.pk).exclude(_PRIVATE)
    listed = Event.objects.filter(action=LIST_VIEW, listed_cases__case_id=case.pk)
    return own, listed


_LOOK_COLUMNS = (
    "id",
    "actor_label",
    "actor__first_name",
    "actor__last_name",
    "actor_id",
    "at",
    "action",
    "detail",
    "source",
)


def _narrowed(events: QuerySet[Event], filters: LookFilter) -> QuerySet[Event]:
    if filters.kind in _KIND_OF_READ:
        events = events.filter(_KIND_OF_READ[LookKind(filters.kind)])
    else:
        reads = Q()
        for condition in _KIND_OF_READ.values():
            reads |= condition
        events = events.exclude(reads) if filters.kind == LookKind.CHANGE else events.filter(reads)
    if filters.person is not None:
        events = events.filter(actor_id=filters.person)
    if filters.since is not None:
        events = events.filter(at__gte=_day_start(filters.since))
    if filters.until is not None:
        events = events.filter(at__lt=_day_start(filters.until + dt.timedelta(days=1)))
    return events.order_by()


def case_access_events(
    case: Case, filters: LookFilter | None = None, *, where: Q | None = None
) -> QuerySet[Any]:
    """The audit listing of a case as rows for `looks_of`, newest first, narrowed by `filters`
    in the query; with no kind it lists the looks (views, downloads, disclosures, the lists
    the case appeared in), with `change` the changes. `where` narrows each part of the union
    (a page's cursor). Slice it for a page; `.count()` works."""
    filters = filters or LookFilter()
    own, listed = (_narrowed(events, filters).filter(where or Q()) for events in _case_events(case))
    return (
        own.values_list(*_LOOK_COLUMNS)
        .union(listed.values_list(*_LOOK_COLUMNS), all=True)
        .order_by("-id")
    )


def look_key(row: tuple[Any, ...]) -> tuple[int]:
    """The paging key (the event's id) of a row of `case_access_events`."""
    return (row[0],)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def looks_of(rows: Iterable[tuple[Any, ...]]) -> list[Look]:
    """Rows of `case_access_events` (a page of them) as looks in words."""
    looks = []
    for _id, label, first, last, actor_id, at, action, detail, source in rows:
        kind = _kind_of(action)
        what = (detail or {}).get("what")
        reads = (LookKind.VIEW, LookKind.DOWNLOAD)
        words = look_what_words(what) if what and kind in reads else action_words(action)
        looks.append(Look(_name(label, first, last), at, words, source, kind, actor_id))
    return looks


def case_access_log(case: Case, *, limit: int = 200) -> list[Look]:
    """Who looked at this case, newest first (from the audit log)."""
    return looks_of(case_access_events(case)[:limit])


def case_lookers(case: Case) -> list[tuple[int, str]]:
    """The people who appear in the case's audit listing, by name: the person filter's choices."""
    own, listed = _case_events(case)
    people = User.objects.filter(
        Q(pk__in=own.values("actor_id")) | Q(pk__in=listed.values("actor_id"))
    ).order_by("last_name", "first_name", "username")
    return [(user.pk, user.display_name) for user in people]


@dataclass(frozen=True)
class TimelineEntry:
    """One dated thing that happened on the case, in words."""

    at: dt.datetime
    who: str
    action: str
    summary: str


_ACTION_WORDS = {
    "case.open": _("opened the case"),
    "case.view": _("looked at the case"),
    LIST_VIEW: _("saw the case in a list"),
    "party.add": _("added a party"),
    "party.protect": _("protected a party's contact details"),
    "person.update": _("corrected a party's details"),
    "party.unprotect": _("removed a party's contact protection"),
    "court_order.record": _("recorded a court order"),
    "intake.record": _("recorded an intake"),
    "consent.record": _("recorded a signed consent"),
    "document_review.record": _("recorded a document review"),
    "readiness.record": _("rated readiness"),
    "screening.record": _("recorded a safety screen"),
    "case.transition": _("moved the case"),
    "case.transition_refused": _("tried to move the case (refused)"),
    "override.request": _("asked for an override"),
    "override.cosign": _("co-signed an override"),
    "override.decline": _("declined an override"),
    "case.pause": _("paused the case"),
    "case.resume": _("resumed the case"),
    "case.close": _("closed the case"),
    "module.assign": _("assigned a psychoeducation module"),
    "module.complete": _("recorded a completed psychoeducation module"),
    "ladder.start": _("started the contact ladder"),
    "ladder.step_up": _("stepped up the contact ladder"),
    "ladder.step_down": _("stepped down the contact ladder"),
    "ladder.step_refused": _("tried to step up the contact ladder (refused)"),
    "ladder.configure": _("changed the contact ladder"),
    "ladder.assent": _("recorded the child's assent"),
    "letter.record": _("recorded a letter exchanged"),
    "appointment.schedule": _("scheduled a session"),
    "appointment.reschedule": _("rescheduled a session"),
    "appointment.cancel": _("recorded a cancellation"),
    "appointment.complete": _("recorded a session as held"),
    "appointment.no_show": _("recorded a no-show"),
    "appointment.hold": _("held upcoming contact visits"),
    "contact.record": _("recorded a contact visit"),
    "note.create": _("wrote a progress note"),
    "note.update": _("changed a draft progress note"),
    "note.sign": _("signed a progress note"),
    "note.addendum": _("added an addendum"),
    "note.amendment": _("amended a note at a party's request"),
    "note.denial": _("recorded a denied amendment request"),
    "note.disagreement": _("appended a party's statement of disagreement"),
    "amendment.request": _("recorded a request to amend the record"),
    "amendment.accept": _("accepted a request to amend"),
    "amendment.deny": _("denied a request to amend"),
    "checkin.schedule": _("scheduled integration check-ins"),
    "arrangement.record": _("recorded the parenting-time arrangement"),
    "document.upload": _("uploaded a document"),
    "document.download": _("downloaded a document"),
    "document.share": _("shared a document in the portal"),
    "document.unshare": _("stopped sharing a document in the portal"),
    "document.tag_substance_use": _("marked a document as substance-use treatment information"),
    "report.issue": _("issued a court progress report"),
    "report.download": _("downloaded a court progress report"),
    "notice.issue": _("issued a notice of closing"),
    "notice.download": _("downloaded a notice of closing"),
    "case.co_therapist_add": _("added a co-therapist"),
    "goal.add": _("added a treatment goal"),
    "goal.rate": _("rated progress on a goal"),
    "willingness.record": _("rated willingness"),
    "alignment.record": _("rated the support system's alignment"),
    "questionnaire.record": _("recorded a questionnaire"),
    "release.grant": _("recorded a release of information"),
    "release.revoke": _("recorded that a release was revoked"),
    "restriction.set": _("restricted a disclosure"),
    "restriction.lift": _("lifted a restriction on disclosure"),
    "disclosure.record": _("was shown part of the record (a disclosure)"),
    "invitation.create": _("invited a party to the portal"),
    "invitation.accept": _("accepted a portal invitation"),
    "portal.revoke": _("ended a party's portal access"),
    "message.send": _("sent a secure message"),
    "message.reply": _("replied to a secure message"),
    "case.co_therapist_remove": _("removed a co-therapist"),
    "case.pause_court_reason": _("wrote a pause's reason for the court"),
    "court_order.end": _("ended a court order"),
    "court_order.amend": _("amended a court order"),
    "court_order.supersede": _("recorded a court order superseding another"),
    "report.preview": _("previewed a court progress report"),
    "child_checkin.concern": _("told the treating therapists of an unsafe check-in"),
}


def action_words(action: str) -> str:
    """An audit action in plain words; a code without words yet still reads as words
    ("court_order.amend" → "court order: amend"), never as the raw code."""
    if action in _ACTION_WORDS:
        return str(_ACTION_WORDS[action])
    noun, _dot, verb = action.partition(".")
    noun = noun.replace("_", " ")
    return f"{noun}: {verb.replace('_', ' ')}" if verb else noun


def _phase_words(code: Any) -> str:
    try:
        return str(Phase(code).label).lower()
    except ValueError:
        return str(code or "").replace("_", " ")


def case_timeline_events(case: Case) -> QuerySet[Event]:
    """The audit events of the case's timeline, newest first: every change (reads are left
    out, and so are the therapist's private psychotherapy-note activity and the child's
    private check-ins, which are no part of the record). Model instances, for `timeline_entries`."""
    return (
        Event.objects.filter(case_id=case.pk)
        .exclude(action__in=READ_ACTIONS)
        .exclude(_PRIVATE)
        .select_related("actor")
        .only(
            "id",
            "at",
            "actor",
            "actor_label",
            "actor__first_name",
            "actor__last_name",
            "action",
            "detail",
        )
        .order_by("-id")
    )


def case_timeline(case: Case, *, limit: int = 500) -> list[TimelineEntry]:
    """Every change to the case, newest first, from the audit log (see `case_timeline_events`)."""
    return timeline_entries(case_timeline_events(case)[:limit])


def timeline_entries(events: Iterable[Event]) -> list[TimelineEntry]:
    """Timeline events (of `case_timeline_events`) in words."""
    entries = []
    for event in events:
        at, label, action, detail = event.at, event.actor_label, event.action, event.detail
        first, last = (event.actor.first_name, event.actor.last_name) if event.actor else ("", "")
        words = action_words(action)
        detail = detail or {}
        if action == "case.transition":
            words = gettext("moved the case from %(from)s to %(to)s") % {
                "from": _phase_words(detail.get("from")),
                "to": _phase_words(detail.get("to")),
            }
        elif action in ("case.pause", "case.transition_refused"):
            extra = detail.get("reason") or "; ".join(detail.get("reasons", []))
            words = f"{words}: {extra}" if extra else words
        effective = detail.get("effective_on")
        if effective and effective != timezone.localdate(at).isoformat():
            # Recorded afterwards: the entry says when it happened, not only when it was written.
            words += gettext(" (took effect on %(day)s)") % {"day": effective}
        entries.append(TimelineEntry(at, _name(label, first, last), action, words))
    return entries


def overrides_awaiting(user: User) -> QuerySet[OverrideRequest]:
    """Override requests awaiting this supervisor's co-signature (none for anyone else)."""
    if user.role != Role.SUPERVISOR:
        return OverrideRequest.objects.none()
    return (
        OverrideRequest.objects.filter(
            status=OverrideStatus.PENDING, case__therapist__supervisor=user
        )
        .exclude(requested_by=user)
        .select_related("case", "requested_by")
    )
