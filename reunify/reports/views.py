"""Report pages: issuing a court progress report from the case page, downloading issued PDFs,
the public /verify page, and the caseload dashboard.

Issuing is for the treating therapists (a supervisor answers 403, another family 404); a
download is for anyone who may see the case and is audited. In the portal, a legal party
downloads a report issued to them while a release still covers it (logged as a disclosure);
anyone else gets 404. /verify needs no login and says only "genuine, issued on DATE by
PRACTICE" or "not issued here".
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reunify import access
from reunify.access import Action
from reunify.accounts.models import User
from reunify.cases.models import Case
from reunify.cases.sections import to_section
from reunify.cases.services import case_view, case_views
from reunify.documents import storage
from reunify.downloads import download
from reunify.reports import selectors, services
from reunify.reports.dashboard import dashboard_for
from reunify.reports.forms import ReportIssueForm, VerifyForm
from reunify.reports.models import IssuedReport, TerminationNotice, report_filename


class AuthedRequest(HttpRequest):
    """A request behind `login_required`: its user is a staff member, never anonymous."""

    user: User


def pdf_response(item: IssuedReport | TerminationNotice, handle: BinaryIO) -> HttpResponseBase:
    """The issued PDF as a download (`reunify.downloads`)."""
    return download(handle, filename=item.filename)


def issue_form(case: Case, data: Any = None) -> ReportIssueForm:
    """The issue form, starting the day after the last report's period (or the referral),
    offering each legal party a release or court order lets the report go to."""
    last = IssuedReport.objects.filter(case=case).order_by("-number").first()
    start = last.period_end + dt.timedelta(days=1) if last else case.referral_date
    end = timezone.localdate()
    covered = [party for party, _release in services.report_recipients(case)]
    return ReportIssueForm(
        data, prefix="report", initial={"start": min(start, end), "end": end}, covered=covered
    )


def _asked(form: ReportIssueForm) -> dict[str, Any]:
    """The form's answers as the report services take them."""
    data = form.cleaned_data
    return {
        "start": data["start"],
        "end": data["end"],
        "summary": data["summary"],
        "substance_use": data["substance_use"],
        "recipients": list(data["recipients"]),
    }


# Which report each case's therapist last previewed in this session: issuing from the page
# signs only what was previewed.
PREVIEWED = "reports_previewed"


def _preview_key(case: Case, asked: dict[str, Any]) -> str:
    content = [
        case.pk,
        str(asked["start"]),
        str(asked["end"]),
        asked["summary"].replace("\r\n", "\n").strip(),
        bool(asked["substance_use"]),
        sorted(party.pk for party in asked["recipients"]),
    ]
    return storage.sha256_of([json.dumps(content).encode()])


def _form_page(
    request: AuthedRequest, case: Case, form: ReportIssueForm, *, status: int | None = None
) -> HttpResponse:
    case_view(actor=request.user, case=case, what="form: issue a court progress report")
    return render(
        request,
        "reports/report_form.html",
        {"case": case, "form": form},
        status=status or (400 if form.is_bound else 200),
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    """Issue a report in two steps: the form, then a review page that opens the preview and,
    once it has been opened, signs and issues exactly what was previewed."""
    case = access.case_get(request.user, case_id, Action.EDIT)
    if request.method == "GET" and case.is_closed:
        messages.error(request, "This case is closed; its record is read-only.")
        return to_section(case.pk, "legal", "reports-heading")
    form = issue_form(case, request.POST if request.method == "POST" else None)
    step = request.POST.get("step", "review")
    if not form.is_bound or not form.is_valid():
        return _form_page(request, case, form)
    if step == "edit":
        # Back from the review page to change something: the form as it was filled in.
        return _form_page(request, case, form, status=200)
    asked = _asked(form)
    problems: list[str] = []
    if step == "issue":
        previewed = request.session.get(PREVIEWED, {}).get(str(case.pk))
        try:
            if previewed != _preview_key(case, asked):
                raise ValidationError(
                    _(
                        "Open the preview of this report and read it before you sign and issue "
                        "it: the report is issued exactly as previewed."
                    )
                )
            report = services.report_issue(actor=request.user, case=case, **asked)
        except ValidationError as error:
            problems = error.messages
        else:
            request.session.get(PREVIEWED, {}).pop(str(case.pk), None)
            request.session.modified = True
            messages.success(
                request,
                f"Court progress report {report.number} issued ({report.pages} "
                f"page{'s' if report.pages != 1 else ''}). SHA-256: {report.sha256}",
            )
            return to_section(case.pk, "legal", "reports-heading")
    try:
        checked = services.report_request_check(actor=request.user, case=case, **asked)
    except ValidationError as error:
        form.add_error(None, error)
        return _form_page(request, case, form)
    case_view(actor=request.user, case=case, what="review: issue a court progress report")
    context = {
        "case": case,
        "form": form,
        "asked": checked,
        "signature": services.report_signature(request.user),
        "problems": problems,
    }
    return render(request, "reports/report_review.html", context, status=400 if problems else 200)


def preview_response(case: Case, asked: dict[str, Any], pdf: bytes) -> HttpResponseBase:
    """The preview PDF as a download named for what it is."""
    name = report_filename(case.title, asked["start"], asked["end"], preview=True)
    return download(pdf, filename=name)


@login_required
@require_POST
def report_preview(request: AuthedRequest, case_id: int) -> HttpResponseBase:
    """The report as it would be issued, marked PREVIEW — NOT ISSUED; nothing is kept."""
    case = access.case_get(request.user, case_id, Action.EDIT)
    form = issue_form(case, request.POST)
    if not form.is_valid():
        return _form_page(request, case, form)
    asked = _asked(form)
    try:
        rendered = services.report_preview(actor=request.user, case=case, **asked)
    except ValidationError as error:
        form.add_error(None, error)
        return _form_page(request, case, form)
    request.session.setdefault(PREVIEWED, {})[str(case.pk)] = _preview_key(case, asked)
    request.session.modified = True
    return preview_response(case, asked, rendered.pdf)


@login_required
@require_GET
def report_download(request: AuthedRequest, report_id: int) -> HttpResponseBase:
    report = selectors.report_get(request.user, report_id)
    try:
        handle = services.report_pdf(actor=request.user, report=report)
    except services.IssuedUnavailable as problem:
        messages.error(request, str(problem))
        return to_section(report.case_id, "legal", "reports-heading")
    return pdf_response(report, handle)


def portal_pdf_response(allowed: selectors.PortalReport, handle: BinaryIO) -> HttpResponseBase:
    return download(handle, filename=allowed.report.filename, notice=allowed.notice)


@login_required
@require_GET
def portal_report_download(
    request: AuthedRequest, party_id: int, report_id: int
) -> HttpResponseBase:
    """A legal party downloads a report issued to them, while a release still covers it."""
    access.require_portal(request.user)
    party = access.portal_party_get(request.user, party_id)
    allowed = selectors.portal_report_get(party, report_id)
    try:
        handle = services.portal_report_open(actor=request.user, allowed=allowed)
    except services.IssuedUnavailable as problem:
        messages.error(request, str(problem))
        return redirect("portal_party", party_id=party.pk)
    return portal_pdf_response(allowed, handle)


@login_required
@require_GET
def notice_download(request: AuthedRequest, notice_id: int) -> HttpResponseBase:
    notice = selectors.notice_get(request.user, notice_id)
    try:
        handle = services.notice_pdf(actor=request.user, notice=notice)
    except services.IssuedUnavailable as problem:
        messages.error(request, str(problem))
        return to_section(notice.case_id, "legal", "reports-heading")
    return pdf_response(notice, handle)


# Checking a report reads and writes nothing: no write transaction (reunify.transactions).
@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Public: is this PDF (or this SHA-256) one the practice issued, unaltered?"""
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    result = None
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload is not None:
                if upload.size > settings.REUNIFY_MAX_UPLOAD_BYTES:
                    raise ValidationError(
                        "That file is larger than any document this practice issues."
                    )
                result = services.report_verify(storage.sha256_of(upload.chunks()))
            else:
                result = services.report_verify(form.cleaned_data["sha256"])
        except ValidationError as error:
            form.add_error("sha256" if upload is None else "file", error)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "reports/verify.html", {"form": form, "result": result}, status=status)


@login_required
@require_GET
def dashboard(request: AuthedRequest) -> HttpResponse:
    if not access.may_create_case(request.user):
        return render(request, "cases/no_caseload.html")
    board = dashboard_for(request.user)
    case_views(actor=request.user, cases=board.named, what="dashboard")
    return render(request, "reports/dashboard.html", {"board": board})
