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
from typing import BinaryIO

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from reunify import access
from reunify.access import Action
from reunify.accounts.models import User
from reunify.cases.models import Case
from reunify.cases.sections import to_section
from reunify.cases.services import case_view, case_views
from reunify.reports import selectors, services
from reunify.reports.dashboard import dashboard_for
from reunify.reports.forms import ReportIssueForm, VerifyForm
from reunify.reports.models import IssuedReport, TerminationNotice


class AuthedRequest(HttpRequest):
    """A request behind `login_required`: its user is a staff member, never anonymous."""

    user: User


def pdf_response(item: IssuedReport | TerminationNotice, handle: BinaryIO) -> FileResponse:
    """The PDF as a download, never something the browser renders or guesses the type of."""
    response = FileResponse(
        handle, as_attachment=True, filename=item.filename, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def issue_form(case: Case, data: dict[str, str] | None = None) -> ReportIssueForm:
    """The issue form, starting the day after the last report's period (or the referral)."""
    last = IssuedReport.objects.filter(case=case).order_by("-number").first()
    start = last.period_end + dt.timedelta(days=1) if last else case.referral_date
    end = timezone.localdate()
    return ReportIssueForm(data, prefix="report", initial={"start": min(start, end), "end": end})


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    if request.method == "GET" and case.is_closed:
        messages.error(request, "This case is closed; its record is read-only.")
        return to_section(case.pk, "legal", "reports-heading")
    form = issue_form(case, request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_issue(
                actor=request.user,
                case=case,
                start=data["start"],
                end=data["end"],
                summary=data["summary"],
                substance_use=data["substance_use"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Court progress report {report.number} issued ({report.pages} "
                f"page{'s' if report.pages != 1 else ''}). SHA-256: {report.sha256}",
            )
            return to_section(case.pk, "legal", "reports-heading")
    case_view(actor=request.user, case=case, what="form: issue a court progress report")
    return render(
        request,
        "reports/report_form.html",
        {"case": case, "form": form},
        status=400 if form.is_bound else 200,
    )


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


def portal_pdf_response(allowed: selectors.PortalReport, handle: BinaryIO) -> FileResponse:
    response = pdf_response(allowed.report, handle)
    if allowed.notice:
        # The notice travels with the file, as it does with a portal document.
        response["Redisclosure-Notice"] = allowed.notice
    return response


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
                result = services.report_verify(services.sha256_of(upload.chunks()))
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
