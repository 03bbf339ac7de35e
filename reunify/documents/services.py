"""Uploading a document to a case and opening it again: checked, stored, audited.

A file is accepted only when its first bytes and its name agree that it is a PDF, PNG or JPEG
and it fits the size limit. It is written under a random temporary name in the transaction that
saves its record and its audit row, takes its stored name when that transaction commits and is
removed when it rolls back (see `storage`), so there is never a file without its record nor a
record without its file.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from reunify import access
from reunify.accounts.models import User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.cases.models import Case
from reunify.cases.services import require_open
from reunify.documents import storage
from reunify.documents.models import Document, DocumentKind

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 150


@dataclass(frozen=True)
class FileType:
    """One kind of file we accept: how its contents begin and the names it may carry."""

    label: str
    content_type: str
    magic: bytes
    extensions: tuple[str, ...]

    @property
    def suffix(self) -> str:
        return self.extensions[0]


ACCEPTED = (
    FileType("PDF", "application/pdf", b"%PDF-", (".pdf",)),
    FileType("PNG", "image/png", b"\x89PNG\r\n\x1a\n", (".png",)),
    FileType("JPEG", "image/jpeg", b"\xff\xd8\xff", (".jpg", ".jpeg")),
)
ACCEPTED_WORDS = "Only PDF (.pdf), PNG (.png) and JPEG (.jpg, .jpeg) files are accepted."


class DocumentUnavailable(Exception):
    """A document's stored file is missing or no longer matches its checksum: not served."""


# Characters that mean something to a file system or a shell on some platform.
_RESERVED = re.compile(r'[<>:"/\\|?*]')
# Control, format (bidirectional overrides), surrogate, private and unassigned characters.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def display_name(raw: str | None) -> str:
    """The uploaded file's name reduced to something safe to show and to offer back.

    Only the last part of any path survives (`../../etc/passwd.pdf` → `passwd.pdf`,
    `C:\\evil.pdf` → `evil.pdf`); NUL and other invisible characters go, characters with a
    meaning to a file system become `_`, and a long name is shortened, keeping its extension.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _INVISIBLE)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _RESERVED.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 10:
            name = f"{stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip(' .')}.{extension}"
        else:
            name = name[:MAX_NAME_LENGTH].rstrip(" .")
    return name or "document"


def size_words(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} byte{'' if size == 1 else 's'}"


def _too_large(name: str, size: int, limit: int) -> ValidationError:
    said, allowed = size_words(size), size_words(limit)
    if said == allowed:
        said, allowed = f"{size:,} bytes", f"{allowed} ({limit:,} bytes)"
    return ValidationError(f"“{name}” is too large ({said}); a document can be at most {allowed}.")


def _file_type(upload: File, name: str) -> FileType:
    """The accepted type the file's contents and its name agree on, or a clear refusal."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = next((t for t in ACCEPTED if head.startswith(t.magic)), None)
    extension = PurePosixPath(name).suffix.lower()
    if found is None:
        raise ValidationError(
            f"“{name}” is not a PDF, PNG or JPEG file (judged by its contents, not its name). "
            + ACCEPTED_WORDS
        )
    if extension not in found.extensions:
        raise ValidationError(
            f"“{name}” contains a {found.label} file, but its name does not end in "
            f"{' or '.join(found.extensions)}. Rename it and upload it again. " + ACCEPTED_WORDS
        )
    return found


@transaction.atomic
def document_upload(*, actor: User, case: Case, kind: str, title: str, upload: File) -> Document:
    """Check a file, store it outside the web root and add it to the case's documents."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if kind not in DocumentKind.values:
        raise ValidationError(
            "Choose what kind of document this is: "
            + ", ".join(label.lower() for label in DocumentKind.labels)
            + "."
        )
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError("Give the document a title, e.g. “Minute order of 12 March”.")
    if len(title) > 200:
        raise ValidationError(f"The title is {len(title)} characters long; 200 is the most.")
    name = display_name(upload.name)
    limit = settings.REUNIFY_MAX_UPLOAD_BYTES
    if not upload.size:
        raise ValidationError(f"“{name}” is empty (0 bytes); choose the file again.")
    if upload.size > limit:
        raise _too_large(name, upload.size, limit)
    file_type = _file_type(upload, name)
    try:
        written = storage.file_write(upload.chunks(), suffix=file_type.suffix, max_bytes=limit)
    except storage.TooLarge as grown:
        raise _too_large(name, int(grown.args[0]), limit) from None
    document = Document.objects.create(
        case=case,
        kind=kind,
        title=title,
        original_name=name,
        stored_name=written.stored_name,
        content_type=file_type.content_type,
        size=written.size,
        sha256=written.sha256,
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.DOCUMENT_UPLOAD,
        case_id=case.pk,
        obj=document,
        detail={
            "kind": kind,
            "content_type": file_type.content_type,
            "size": written.size,
            "sha256": written.sha256,
        },
    )
    return document


def _verified(document: Document) -> BinaryIO:
    try:
        handle = storage.file_open(document.stored_name)
    except OSError:
        logger.error("Document %s: stored file %s is missing", document.pk, document.stored_name)
        raise DocumentUnavailable(
            f"The file of “{document.title}” is missing from the documents folder. "
            "Tell the practice administrator."
        ) from None
    if storage.sha256_of(storage.chunks_of(handle)) != document.sha256:
        handle.close()
        logger.error("Document %s: stored file does not match its checksum", document.pk)
        raise DocumentUnavailable(
            f"The stored file of “{document.title}” no longer matches the checksum taken when it "
            "was uploaded, so it is not served. Tell the practice administrator."
        )
    handle.seek(0)
    return handle


@transaction.atomic
def document_open(*, actor: User, document: Document) -> BinaryIO:
    """The document's file, open for reading, after its checksum is verified; the download is
    written to the audit log."""
    access.require(actor, access.Action.VIEW, document.case)
    handle = _verified(document)
    try:
        audit_record(
            actor=actor,
            action=AuditAction.DOCUMENT_DOWNLOAD,
            case_id=document.case_id,
            obj=document,
            detail={
                "what": f"download: {document.get_kind_display().lower()} (document {document.pk})",
                "sha256": document.sha256,
            },
        )
    except BaseException:
        handle.close()
        raise
    return handle


@transaction.atomic
def document_tag_substance_use(*, actor: User, document: Document, substance_use: bool) -> Document:
    """Mark (or unmark) a document as carrying substance-use information: from then on it is
    disclosed only under a release naming that category, and always with the redisclosure
    notice."""
    access.require(actor, access.Action.EDIT, document.case)
    require_open(document.case)
    if document.substance_use == substance_use:
        state = "already" if substance_use else "not"
        raise ValidationError(f"“{document.title}” is {state} tagged as substance-use information.")
    Document.objects.filter(pk=document.pk).update(substance_use=substance_use)
    document.substance_use = substance_use
    audit_record(
        actor=actor,
        action=AuditAction.DOCUMENT_TAG_SUBSTANCE_USE
        if substance_use
        else AuditAction.DOCUMENT_UNTAG_SUBSTANCE_USE,
        case_id=document.case_id,
        obj=document,
        detail={"substance_use": substance_use},
    )
    return document


@transaction.atomic
def document_open_in_portal(*, actor: User, document: Document, party_id: int) -> BinaryIO:
    """The file for a portal user, once reunify.portal has decided that the party they act as
    may have it (a share, or a covering release); checksum verified, the download audited."""
    handle = _verified(document)
    try:
        audit_record(
            actor=actor,
            action=AuditAction.DOCUMENT_DOWNLOAD,
            case_id=document.case_id,
            obj=document,
            detail={
                "what": f"portal download: {document.get_kind_display().lower()} "
                f"(document {document.pk})",
                "party": party_id,
                "sha256": document.sha256,
            },
        )
    except BaseException:
        handle.close()
        raise
    return handle
