"""The documents API: list a case's documents, upload one (multipart), download one.

The same services as the pages: the list is a read of the case written to the audit log, an
upload is one call to `document_upload`, a download goes through `access` and is audited.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponseBase
from ninja import File, Form, Router, Schema, UploadedFile

from reunify.cases.api import READ_ERRORS, WRITE_ERRORS, case_to_change, case_to_read, request_user
from reunify.cases.schemas import ErrorOut
from reunify.documents import selectors, services
from reunify.documents.models import Document, DocumentKind
from reunify.documents.views import file_response
from reunify.paging import Page, paged

router = Router(tags=["documents"])


class DocumentOut(Schema):
    id: int
    case_id: int
    kind: DocumentKind
    kind_label: str
    title: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime
    download: str

    @classmethod
    def of(cls, document: Document) -> DocumentOut:
        return cls(
            id=document.pk,
            case_id=document.case_id,
            kind=DocumentKind(document.kind),
            kind_label=document.get_kind_display(),
            title=document.title,
            original_name=document.original_name,
            content_type=document.content_type,
            size=document.size,
            sha256=document.sha256,
            uploaded_by=document.uploaded_by.username,
            uploaded_at=document.uploaded_at,
            download=f"/api/v1/documents/{document.pk}/download",
        )


@router.get("/cases/{id}/documents", response={200: list[DocumentOut], **READ_ERRORS})
@paged
def document_list(request: HttpRequest, id: int, page: Page) -> list[DocumentOut]:
    """The case's documents, newest first (the files themselves are downloaded one by one)."""
    _, case = case_to_read(request, id, "document_list")
    documents = page.rows(selectors.case_documents(case), order=("-uploaded_at", "-id"))
    return [DocumentOut.of(d) for d in documents]


@router.post("/cases/{id}/documents", response={201: DocumentOut, **WRITE_ERRORS})
def document_create(
    request: HttpRequest,
    id: int,
    kind: Form[DocumentKind],
    title: Form[str],
    file: File[UploadedFile],
) -> tuple[int, DocumentOut]:
    """Upload a PDF, PNG or JPEG (multipart/form-data: kind, title, file) to the case."""
    user, case = case_to_change(request, id)
    document = services.document_upload(
        actor=user, case=case, kind=kind.value, title=title, upload=file
    )
    return 201, DocumentOut.of(document)


@router.get(
    "/documents/{id}/download",
    response={200: None, 500: ErrorOut, **READ_ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment.",
                "content": {
                    t.content_type: {"schema": {"type": "string", "format": "binary"}}
                    for t in services.ACCEPTED
                },
            }
        }
    },
)
def document_download(request: HttpRequest, id: int) -> HttpResponseBase | tuple[int, ErrorOut]:
    """The document's file; every download is written to the audit log."""
    user = request_user(request)
    document = selectors.document_get(user, id)
    try:
        handle = services.document_open(actor=user, document=document)
    except services.DocumentUnavailable as problem:
        return 500, ErrorOut(detail=str(problem))
    return file_response(document, handle)
