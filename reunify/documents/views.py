"""Document pages: the upload form of a case, and the download of one document.

The upload form is for those who may change the case; a download is for anyone who may see the
case, goes through `access` like every other read, and is written to the audit log.
"""

from __future__ import annotations

from typing import BinaryIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from reunify import access
from reunify.access import Action
from reunify.accounts.models import User
from reunify.cases.sections import to_section
from reunify.cases.services import case_view
from reunify.documents import selectors, services
from reunify.documents.forms import DocumentForm
from reunify.documents.models import Document
from reunify.downloads import download


class AuthedRequest(HttpRequest):
    """A request behind `login_required`: its user is a staff member, never anonymous."""

    user: User


def file_response(document: Document, handle: BinaryIO, notice: str = "") -> HttpResponseBase:
    """The uploaded file as a download (`reunify.downloads`)."""
    return download(
        handle, filename=document.original_name, content_type=document.content_type, notice=notice
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    if request.method == "GET" and case.is_closed:
        messages.error(request, "This case is closed; its record is read-only.")
        return to_section(case.pk, "documents", "documents-heading")
    form = DocumentForm(request.POST, request.FILES) if request.method == "POST" else DocumentForm()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.document_upload(
                actor=request.user,
                case=case,
                kind=data["kind"],
                title=data["title"],
                upload=data["file"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"“{document.title}” was added to the case's documents.")
            return to_section(case.pk, "documents", "documents-heading")
    # The form shows the family's name, so showing it is a read of the case.
    case_view(actor=request.user, case=case, what="form: upload a document")
    return render(
        request,
        "documents/document_form.html",
        {"case": case, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_GET
def document_download(request: AuthedRequest, document_id: int) -> HttpResponseBase:
    document = selectors.document_get(request.user, document_id)
    try:
        handle = services.document_open(actor=request.user, document=document)
    except services.DocumentUnavailable as problem:
        messages.error(request, str(problem))
        return to_section(document.case_id, "documents", "documents-heading")
    return file_response(document, handle)
