"""The one way a file leaves Reunify: as an attachment the browser neither renders nor guesses
the type of, never cached, and, when it carries substance-use information, with the
redisclosure notice in a header of its own (the page says it too, beside the link).

Court reports, termination notices, report previews, accountings of disclosures, uploaded
documents: every download view answers with `download`.
"""

from __future__ import annotations

from typing import BinaryIO

from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.utils.http import content_disposition_header

PDF = "application/pdf"


def download(
    content: BinaryIO | bytes, *, filename: str, content_type: str = PDF, notice: str = ""
) -> HttpResponseBase:
    """The file as a download named `filename`: streamed from a stored file, or bytes just made
    (a preview, an accounting)."""
    response: HttpResponseBase
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    else:
        response = FileResponse(
            content, as_attachment=True, filename=filename, content_type=content_type
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    if notice:
        response["Redisclosure-Notice"] = notice
    return response
