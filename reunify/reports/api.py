"""The reports API: issue a court progress report, list a case's reports, download one, and
read the dashboard. The same services as the pages; a legal party's portal download of a
report issued to them is the portal's (`portal.api`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from reunify import access
from reunify.cases.api import READ_ERRORS, WRITE_ERRORS, case_to_change, case_to_read, request_user
from reunify.cases.models import Cadence, Case, Party
from reunify.cases.schemas import ErrorOut
from reunify.cases.services import case_views
from reunify.paging import Page, paged
from reunify.reports import selectors, services
from reunify.reports.dashboard import Dashboard, Expiring, dashboard_for
from reunify.reports.models import IssuedReport
from reunify.reports.views import pdf_response, preview_response

router = Router(tags=["reports"])


class ReportIn(Schema):
    start: dt.date = Field(description="First day of the period the report covers.")
    end: dt.date = Field(description="Last day of the period (not after today).")
    summary: str = Field(description="The therapist's summary, signed by issuing the report.")
    substance_use: bool = Field(
        False,
        description="The summary mentions substance use: only recipients whose release covers "
        "that category receive it, with the redisclosure notice.",
    )
    recipients: list[int] | None = Field(
        None,
        description="Ids of the legal parties to provide it to, each covered by a release or "
        "court order for court reports; absent: every party so covered; empty: no one.",
    )


def _asked(case: Case, payload: ReportIn) -> dict[str, Any]:
    """The payload as the report services take it; a recipient not of this case is refused."""
    recipients = None
    if payload.recipients is not None:
        found = {p.pk: p for p in Party.objects.filter(case=case, pk__in=payload.recipients)}
        missing = [i for i in payload.recipients if i not in found]
        if missing:
            raise ValidationError(
                _("No party of this case has the id %(ids)s.")
                % {"ids": ", ".join(str(i) for i in missing)}
            )
        recipients = list(found.values())
    return {
        "start": payload.start,
        "end": payload.end,
        "summary": payload.summary,
        "substance_use": payload.substance_use,
        "recipients": recipients,
    }


class ReportOut(Schema):
    id: int
    case_id: int
    number: int
    period_start: dt.date
    period_end: dt.date
    summary: str
    issued_by: str
    issued_at: dt.datetime
    sha256: str
    pages: int
    size: int
    disclosed_to: list[str] = Field(description="Recipients the report was disclosed to.")
    pdf: str

    @classmethod
    def of(cls, issued: selectors.Issued) -> ReportOut:
        report = issued.item
        assert isinstance(report, IssuedReport)
        return cls(
            id=report.pk,
            case_id=report.case_id,
            number=report.number,
            period_start=report.period_start,
            period_end=report.period_end,
            summary=report.summary,
            issued_by=report.issued_by.username,
            issued_at=report.issued_at,
            sha256=report.sha256,
            pages=report.pages,
            size=report.size,
            disclosed_to=issued.disclosed_to,
            pdf=f"/api/v1/reports/{report.pk}/pdf",
        )


@router.get("/cases/{id}/reports", response={200: list[ReportOut], **READ_ERRORS})
@paged
def report_list(request: HttpRequest, id: int, page: Page) -> list[ReportOut]:
    """The case's issued court progress reports, newest first."""
    _, case = case_to_read(request, id, "report_list")
    reports = page.rows(selectors.case_report_rows(case), order=("-number", "-id"))
    return [ReportOut.of(r) for r in selectors.issued_reports(reports)]


@router.post("/cases/{id}/reports", response={201: ReportOut, **WRITE_ERRORS})
def report_create(request: HttpRequest, id: int, payload: ReportIn) -> tuple[int, ReportOut]:
    """Issue a court progress report for a date range: signed with your current licence, kept
    with its SHA-256, and logged as a disclosure to each recipient (those chosen, or each one
    a release or court order covers). Preview it first with `reports/preview`."""
    user, case = case_to_change(request, id)
    report = services.report_issue(actor=user, case=case, **_asked(case, payload))
    issued = next(r for r in selectors.case_reports(case) if r.item.pk == report.pk)
    return 201, ReportOut.of(issued)


@router.post(
    "/cases/{id}/reports/preview",
    response={200: None, **WRITE_ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "The report as it would be issued now, marked PREVIEW — NOT "
                "ISSUED on every page, as an attachment.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def report_preview(request: HttpRequest, id: int, payload: ReportIn) -> HttpResponseBase:
    """Preview a court progress report: the same PDF, watermarked, not signed, hashed, kept
    or disclosed; the preview is audited."""
    user, case = case_to_change(request, id)
    asked = _asked(case, payload)
    rendered = services.report_preview(actor=user, case=case, **asked)
    return preview_response(case, asked, rendered.pdf)


@router.get(
    "/reports/{id}/pdf",
    response={200: None, 500: ErrorOut, **READ_ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "The issued PDF, exactly as issued, as an attachment.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def report_pdf(request: HttpRequest, id: int) -> HttpResponseBase | tuple[int, ErrorOut]:
    """The issued PDF; every download is written to the audit log."""
    user = request_user(request)
    report = selectors.report_get(user, id)
    try:
        handle = services.report_pdf(actor=user, report=report)
    except services.IssuedUnavailable as problem:
        return 500, ErrorOut(detail=str(problem))
    return pdf_response(report, handle)


class CaseRef(Schema):
    id: int
    title: str


class PhaseOut(Schema):
    phase: str
    label: str
    open_cases: int
    median_days_so_far: float | None
    finished_stays: int
    median_days_per_stay: float | None


class PausedOut(Schema):
    case: CaseRef
    since: dt.date
    days: int
    reason: str


class ScreenDueOut(Schema):
    case: CaseRef
    due_on: dt.date | None = Field(description="Blank: never screened.")
    overdue: bool


class ReportDueOut(Schema):
    case: CaseRef
    term_id: int = Field(description="The reporting duty (a court term) this report is due under.")
    recurring: bool = Field(description="Due again after each report issued.")
    court_order: int
    court_case_number: str
    due_on: dt.date
    text: str
    overdue: bool


class ExpiringOut(Schema):
    what: str
    case: CaseRef | None
    expires_on: dt.date
    days_left: int


class ClosedCaseOut(Schema):
    case: CaseRef
    days: int


class OutcomeOut(Schema):
    outcome: str
    label: str
    count: int
    median_days: float | None
    cases: list[ClosedCaseOut]


class DashboardOut(Schema):
    open_cases: int
    closed_cases: int
    phases: list[PhaseOut]
    paused: list[PausedOut]
    screens_due: list[ScreenDueOut]
    reports_due: list[ReportDueOut]
    releases_expiring: list[ExpiringOut]
    licences_expiring: list[ExpiringOut] = Field(
        description="Your licence (a supervisor's: the team's too) expiring within 30 days or "
        "already expired."
    )
    outcomes: list[OutcomeOut]

    @classmethod
    def of(cls, board: Dashboard) -> DashboardOut:
        def ref(case: Case) -> CaseRef:
            return CaseRef(id=case.pk, title=case.title)

        def expiring(items: list[Expiring]) -> list[ExpiringOut]:
            return [
                ExpiringOut(
                    what=e.what,
                    case=ref(e.case) if e.case else None,
                    expires_on=e.expires_on,
                    days_left=e.days_left,
                )
                for e in items
            ]

        return cls(
            open_cases=board.open_cases,
            closed_cases=board.closed_cases,
            phases=[
                PhaseOut(
                    phase=p.phase,
                    label=p.label,
                    open_cases=p.count,
                    median_days_so_far=p.median_days_so_far,
                    finished_stays=p.finished,
                    median_days_per_stay=p.median_days,
                )
                for p in board.phases
            ],
            paused=[
                PausedOut(case=ref(p.case), since=p.since, days=p.days, reason=p.reason)
                for p in board.paused
            ],
            screens_due=[
                ScreenDueOut(case=ref(s.case), due_on=s.due_on, overdue=s.overdue)
                for s in board.screens_due
            ],
            reports_due=[
                ReportDueOut(
                    case=ref(r.case),
                    term_id=r.term.pk,
                    recurring=r.term.cadence != Cadence.ONCE,
                    court_order=r.order_number,
                    court_case_number=r.court_case_number,
                    due_on=r.due_on,
                    text=r.text,
                    overdue=r.overdue,
                )
                for r in board.reports_due
            ],
            releases_expiring=expiring(board.releases_expiring),
            licences_expiring=expiring(board.licences_expiring),
            outcomes=[
                OutcomeOut(
                    outcome=o.outcome,
                    label=o.label,
                    count=o.count,
                    median_days=o.median_days,
                    cases=[ClosedCaseOut(case=ref(c.case), days=c.days) for c in o.cases],
                )
                for o in board.outcomes
            ],
        )


@router.get("/dashboard", response={200: DashboardOut, 401: ErrorOut, 403: ErrorOut})
def dashboard_get(request: HttpRequest) -> DashboardOut:
    """Your cases (a supervisor: your team's) by phase, paused, re-screens and court reports due,
    releases and licences expiring, time in each phase, and outcomes of closed cases."""
    user = request_user(request)
    if not access.may_create_case(user):
        raise PermissionDenied("The dashboard is for therapists and supervisors.")
    board = dashboard_for(user)
    case_views(actor=user, cases=board.named, what="api:dashboard")
    return DashboardOut.of(board)
