"""Documents: an upload is checked, stored outside the web root and audited; a download goes
through `access` and is audited; another family's document answers 404; a bad file gets a clear
error and leaves no record and no file behind.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reunify.accounts.models import User
from reunify.audit.chain import audit_verify
from reunify.audit.models import Event
from reunify.cases.sections import section_url
from reunify.cases.selectors import case_access_log, case_timeline
from reunify.conftest import Family, bearer, committing, last_event, login
from reunify.documents import services, storage
from reunify.documents.checks import documents_folder_is_private
from reunify.documents.models import Document
from reunify.documents.pdf import text_pdf
from reunify.documents.services import display_name, document_open, document_upload
from reunify.process import transitions

API = "/api/v1"
PDF = text_pdf("Minute order FL-2026-0001", ["Contact is supervised until further order."])
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(40)
ACCEPTED = "Only PDF (.pdf), PNG (.png) and JPEG (.jpg, .jpeg) files are accepted."


@pytest.fixture(autouse=True)
def folder(settings: Any, tmp_path: Path) -> Path:
    """Every test stores its documents in its own folder, which does not exist yet."""
    settings.REUNIFY_DOCUMENTS_DIR = tmp_path / "documents"
    return settings.REUNIFY_DOCUMENTS_DIR


def stored(folder: Path) -> list[str]:
    """Every file in the documents folder, temporary ones included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def a_file(name: str = "order.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def upload(
    therapist: User, family: Family, name: str = "order.pdf", content: bytes = PDF, **extra: Any
) -> Document:
    fields: dict[str, Any] = {"kind": "court_order", "title": "Minute order of 12 March"}
    fields.update(extra)
    with committing():
        return document_upload(
            actor=therapist, case=family.case, upload=a_file(name, content), **fields
        )


def body(response: Any) -> bytes:
    """A download's bytes; the test client closes the response (and the file) at the end."""
    return b"".join(response.streaming_content)


def text(response: Any) -> str:
    return response.content.decode()


# Uploading -------------------------------------------------------------------------------------


def test_an_upload_is_stored_outside_the_web_root_with_its_checksum(
    therapist: User, family: Family, folder: Path
) -> None:
    document = upload(therapist, family)

    path = folder / document.stored_name
    assert path.read_bytes() == PDF
    assert not path.resolve().is_relative_to(Path(django_settings.STATIC_ROOT).resolve())
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.size == len(PDF)
    assert document.content_type == "application/pdf"
    assert document.original_name == "order.pdf"
    assert document.uploaded_by == therapist
    assert stored(folder) == [document.stored_name]


def test_the_upload_is_written_to_the_audit_log(therapist: User, family: Family) -> None:
    document = upload(therapist, family)

    event = last_event()
    assert (event.action, event.case_id, event.actor) == (
        "document.upload",
        family.case.pk,
        therapist,
    )
    assert event.object_id == str(document.pk)
    assert event.detail["sha256"] == document.sha256
    assert audit_verify().intact


def test_the_stored_name_is_random_never_the_uploaded_name(therapist: User, family: Family) -> None:
    first = upload(therapist, family, name="order.pdf")
    second = upload(therapist, family, name="order.pdf")

    for document in (first, second):
        assert re.fullmatch(r"[0-9a-f]{32}\.pdf", document.stored_name)
        assert "order" not in document.stored_name
    assert first.stored_name != second.stored_name


def test_the_documents_folder_is_created_for_the_server_alone(
    therapist: User, family: Family, folder: Path
) -> None:
    assert not folder.exists()

    document = upload(therapist, family)

    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / document.stored_name).stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.JPEG", JPEG, "image/jpeg"),
        ("ORDER.PDF", PDF, "application/pdf"),
    ],
)
def test_it_accepts_png_and_jpeg_too(
    therapist: User, family: Family, name: str, content: bytes, content_type: str
) -> None:
    document = upload(therapist, family, name=name, content=content)

    assert document.content_type == content_type
    assert document.stored_name.endswith((".png", ".jpg", ".pdf"))


def test_the_type_comes_from_the_contents_not_from_what_the_browser_claims(
    therapist: User, family: Family
) -> None:
    claimed_pdf = SimpleUploadedFile("scan.png", PNG, content_type="application/pdf")

    document = document_upload(
        actor=therapist, case=family.case, kind="other", title="Scan", upload=claimed_pdf
    )

    assert document.content_type == "image/png"


def _refused(therapist: User, family: Family, folder: Path, **kwargs: Any) -> str:
    events_before = Event.objects.count()
    files_before = stored(folder)  # e.g. the notices written when the case closed
    with pytest.raises(ValidationError) as refused:
        upload(therapist, family, **kwargs)
    assert not Document.objects.exists()
    assert stored(folder) == files_before
    assert Event.objects.count() == events_before
    return " ".join(refused.value.messages)


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("setup.exe", EXE, "“setup.exe” is not a PDF, PNG or JPEG file"),
        (
            "notes.pdf",
            b"Dear court, these are my notes.\n",
            "“notes.pdf” is not a PDF, PNG or JPEG",
        ),
        ("order.png", PDF, "“order.png” contains a PDF file, but its name does not end in .pdf"),
        ("order", PDF, "“order” contains a PDF file"),
        ("scan.pdf", PNG, "“scan.pdf” contains a PNG file, but its name does not end in .png"),
        ("order.pdf.exe", PDF, "does not end in .pdf"),
        ("page.html", b"<html><script>alert(1)</script>", "is not a PDF, PNG or JPEG file"),
    ],
)
def test_a_file_of_the_wrong_type_is_refused_with_a_clear_error(
    therapist: User, family: Family, folder: Path, name: str, content: bytes, says: str
) -> None:
    message = _refused(therapist, family, folder, name=name, content=content)

    assert says in message
    assert ACCEPTED in message


def test_an_empty_file_is_refused(therapist: User, family: Family, folder: Path) -> None:
    message = _refused(therapist, family, folder, content=b"")

    assert message == "“order.pdf” is empty (0 bytes); choose the file again."


def test_a_file_over_the_limit_is_refused_naming_the_limit(
    therapist: User, family: Family, folder: Path, settings: Any
) -> None:
    settings.REUNIFY_MAX_UPLOAD_BYTES = 2048

    message = _refused(therapist, family, folder, content=PDF + bytes(4096))

    assert "“order.pdf” is too large" in message
    assert "a document can be at most 2 KB" in message


def test_the_limit_is_ten_megabytes_unless_set(
    therapist: User, family: Family, folder: Path
) -> None:
    assert django_settings.REUNIFY_MAX_UPLOAD_BYTES == 10 * 1024 * 1024

    message = _refused(therapist, family, folder, content=PDF + bytes(10 * 1024 * 1024))

    assert "a document can be at most 10 MB" in message


def test_a_file_that_grows_past_the_limit_while_written_leaves_nothing(
    db: Any, folder: Path
) -> None:
    with pytest.raises(storage.TooLarge), transaction.atomic():
        storage.file_write(iter([b"%PDF-", bytes(100)]), suffix=".pdf", max_bytes=50)

    assert stored(folder) == []


@pytest.mark.parametrize(
    ("title", "says"),
    [("   ", "Give the document a title"), ("x" * 201, "201 characters long; 200 is the most")],
)
def test_a_missing_or_overlong_title_is_refused(
    therapist: User, family: Family, folder: Path, title: str, says: str
) -> None:
    assert says in _refused(therapist, family, folder, title=title)


def test_an_unknown_kind_is_refused(therapist: User, family: Family, folder: Path) -> None:
    message = _refused(therapist, family, folder, kind="diary")

    assert message.startswith("Choose what kind of document this is: court order, prior")


# File names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("/etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\evil\\evil.pdf", "evil.pdf"),
        ("C:\\evil.pdf", "evil.pdf"),
        ("..\\..\\windows\\system.ini.pdf", "system.ini.pdf"),
        ("C:evil.pdf", "C_evil.pdf"),
        ("report\x00.pdf", "report.pdf"),
        ("\x1b[31mred\r\n.pdf", "[31mred.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ('say "hi" <now>|?*.pdf', "say _hi_ _now____.pdf"),
        ("..", "document"),
        ("", "document"),
        (None, "document"),
        ("  .hidden.pdf  ", "hidden.pdf"),
        ("Évaluation de garde — 2025.pdf", "Évaluation de garde — 2025.pdf"),
    ],
)
def test_a_file_name_is_reduced_to_a_safe_display_name(raw: str | None, shown: str) -> None:
    assert display_name(raw) == shown


def test_an_overlong_name_is_shortened_keeping_its_extension() -> None:
    shown = display_name("a" * 300 + ".pdf")

    assert len(shown) == 150
    assert shown.endswith("aaa.pdf")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\evil.pdf", "evil.pdf"),
        ("minute\x00order.pdf", "minuteorder.pdf"),
        ("b" * 400 + ".pdf", "b" * 146 + ".pdf"),
    ],
)
def test_a_path_trick_in_the_name_is_stored_only_in_the_documents_folder(
    therapist: User, family: Family, folder: Path, tmp_path: Path, raw: str, shown: str
) -> None:
    document = upload(therapist, family, name=raw)

    assert document.original_name == shown
    assert stored(folder) == [document.stored_name]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents"]


def test_a_nul_byte_cannot_hide_the_real_extension(
    therapist: User, family: Family, folder: Path
) -> None:
    message = _refused(therapist, family, folder, name="order.pdf\x00.exe")

    assert "“order.pdf.exe” contains a PDF file, but its name does not end in .pdf" in message


# Nothing half-saved ----------------------------------------------------------------------------


def test_a_failure_after_the_file_is_written_leaves_no_file(
    therapist: User, family: Family, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_audit(**kwargs: Any) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "audit_record", broken_audit)

    with pytest.raises(RuntimeError):
        upload(therapist, family)

    assert not Document.objects.exists()
    assert stored(folder) == []


def test_a_refused_database_write_leaves_no_file(
    therapist: User, family: Family, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: Any) -> None:
        raise IntegrityError("refused")

    monkeypatch.setattr(Document.objects, "create", refuse)

    with pytest.raises(IntegrityError):
        upload(therapist, family)

    assert stored(folder) == []


# Who may upload --------------------------------------------------------------------------------


def test_a_closed_case_refuses_uploads(therapist: User, family: Family, folder: Path) -> None:
    transitions.case_close(
        actor=therapist, case=family.case, outcome="withdrawn", reason="The family moved."
    )

    message = _refused(therapist, family, folder)

    assert message == "This case is closed; its record is read-only."


def test_the_supervisor_may_not_upload(supervisor: User, family: Family, folder: Path) -> None:
    with pytest.raises(PermissionDenied):
        upload(supervisor, family)

    assert stored(folder) == []


@pytest.mark.parametrize("who", ["outsider", "monitor"])
def test_someone_without_the_case_gets_not_found(
    request: pytest.FixtureRequest, family: Family, folder: Path, who: str
) -> None:
    with pytest.raises(Http404):
        upload(request.getfixturevalue(who), family)

    assert stored(folder) == []


# Opening ---------------------------------------------------------------------------------------


def test_opening_a_document_gives_its_bytes_and_is_audited(
    therapist: User, supervisor: User, family: Family
) -> None:
    document = upload(therapist, family)

    with document_open(actor=supervisor, document=document) as handle:
        assert handle.read() == PDF

    event = last_event()
    assert (event.action, event.actor, event.case_id) == (
        "document.download",
        supervisor,
        family.case.pk,
    )
    assert event.object_id == str(document.pk)


@pytest.mark.parametrize("who", ["outsider", "monitor"])
def test_someone_without_the_case_cannot_open_its_document(
    request: pytest.FixtureRequest, therapist: User, family: Family, who: str
) -> None:
    document = upload(therapist, family)

    with pytest.raises(Http404):
        document_open(actor=request.getfixturevalue(who), document=document)


def test_a_file_changed_on_disk_is_not_served(
    therapist: User, family: Family, folder: Path
) -> None:
    document = upload(therapist, family)
    (folder / document.stored_name).write_bytes(PDF.replace(b"supervised", b"unsupervis"))
    events_before = Event.objects.count()

    with pytest.raises(services.DocumentUnavailable, match="no longer matches the checksum"):
        document_open(actor=therapist, document=document)

    assert Event.objects.count() == events_before


def test_a_missing_file_is_reported_not_served(
    therapist: User, family: Family, folder: Path
) -> None:
    document = upload(therapist, family)
    (folder / document.stored_name).unlink()

    with pytest.raises(services.DocumentUnavailable, match="is missing from the documents folder"):
        document_open(actor=therapist, document=document)


def test_a_stored_name_that_is_not_ours_is_never_opened(
    therapist: User, family: Family, folder: Path, tmp_path: Path
) -> None:
    document = upload(therapist, family)
    (tmp_path / "secret.pdf").write_bytes(PDF)
    document.stored_name = "../secret.pdf"

    with pytest.raises(services.DocumentUnavailable):
        document_open(actor=therapist, document=document)


# The folder's place ----------------------------------------------------------------------------


def test_a_documents_folder_under_the_static_root_is_refused(
    therapist: User, family: Family, settings: Any, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path / "static"
    settings.REUNIFY_DOCUMENTS_DIR = tmp_path / "static" / "documents"

    [error] = documents_folder_is_private()
    assert error.id == "documents.E001"
    with pytest.raises(ImproperlyConfigured, match="served to the web"):
        upload(therapist, family)
    assert not (tmp_path / "static" / "documents").exists()


def test_the_default_documents_folder_passes_the_check() -> None:
    assert documents_folder_is_private() == []


# Pages -----------------------------------------------------------------------------------------


def page_post(client: Client, family: Family, name: str = "order.pdf", content: bytes = PDF) -> Any:
    with committing():
        return client.post(
            reverse("document_new", args=[family.case.pk]),
            {
                "kind": "court_order",
                "title": "Minute order of 12 March",
                "file": a_file(name, content),
            },
        )


def download_url(document: Document) -> str:
    return reverse("document_download", args=[document.pk])


def test_the_upload_page_works(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)

    response = client.get(reverse("document_new", args=[family.case.pk]))

    assert response.status_code == 200
    page = text(response)
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="id_title">' in page
    assert '<label for="id_file">' in page
    assert 'aria-describedby="id_file_helptext"' in page
    assert "A PDF, PNG or JPEG file of at most 10 MB." in page
    assert 'accept=".pdf,.png,.jpg,.jpeg' in page
    for landmark in ("<header", "<nav", '<main id="main"', "<footer", 'href="#main"'):
        assert landmark in page
    assert page.count("<h1>") == 1
    assert "<script" not in page
    assert "style=" not in page
    assert last_event().detail == {"what": "form: upload a document"}


def test_uploading_through_the_page_adds_the_document_to_the_case_page(
    client: Client, therapist: User, family: Family, folder: Path
) -> None:
    login(client, therapist)

    response = page_post(client, family)

    address = section_url(family.case.pk, "documents")
    assert response.status_code == 302
    assert response["Location"] == address + "#documents-heading"
    document = Document.objects.get()
    assert stored(folder) == [document.stored_name]
    page = text(client.get(address))
    assert '<h2 id="documents-heading">Documents</h2>' in page
    assert "Minute order of 12 March" in page
    assert download_url(document) in page
    assert "“Minute order of 12 March” was added to the case&#x27;s documents." in page


def test_the_case_page_offers_the_upload_only_to_those_who_may_change_the_case(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    upload(therapist, family)
    address = section_url(family.case.pk, "documents")
    new = reverse("document_new", args=[family.case.pk])

    assert new in text(login(client, therapist).get(address))
    page = text(login(Client(), supervisor).get(address))
    assert new not in page
    assert download_url(Document.objects.get()) in page


def test_the_page_refuses_a_bad_file_with_a_clear_error(
    client: Client, therapist: User, family: Family, folder: Path
) -> None:
    login(client, therapist)

    response = page_post(client, family, name="notes.pdf", content=b"just text")

    assert response.status_code == 400
    page = text(response)
    assert 'role="alert"' in page
    assert "“notes.pdf” is not a PDF, PNG or JPEG file" in page
    assert not Document.objects.exists()
    assert stored(folder) == []


def test_the_page_asks_for_the_missing_fields(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)

    response = client.post(reverse("document_new", args=[family.case.pk]), {"title": ""})

    assert response.status_code == 400
    page = text(response)
    assert '<a href="#id_file">File: This field is required.</a>' in page
    assert '<a href="#id_title">Title: This field is required.</a>' in page
    assert not Document.objects.exists()


def test_the_page_cleans_a_path_trick_in_the_name(
    client: Client, therapist: User, family: Family, folder: Path
) -> None:
    login(client, therapist)

    page_post(client, family, name="..\\..\\C:\\evil.pdf")

    document = Document.objects.get()
    assert document.original_name == "evil.pdf"
    assert stored(folder) == [document.stored_name]


def test_the_upload_page_of_a_closed_case_sends_you_back(
    client: Client, therapist: User, family: Family, folder: Path
) -> None:
    transitions.case_close(
        actor=therapist, case=family.case, outcome="withdrawn", reason="The family moved."
    )
    login(client, therapist)
    notices = stored(folder)  # written when the case closed

    response = client.get(reverse("document_new", args=[family.case.pk]))
    assert response.status_code == 302
    refused = page_post(client, family)
    assert refused.status_code == 400
    assert "This case is closed; its record is read-only." in text(refused)
    assert stored(folder) == notices


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_upload_page_needs_login(client: Client, family: Family, method: str) -> None:
    response = getattr(client, method)(reverse("document_new", args=[family.case.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_the_supervisor_may_not_upload_through_the_page(
    client: Client, supervisor: User, family: Family, folder: Path
) -> None:
    login(client, supervisor)

    assert client.get(reverse("document_new", args=[family.case.pk])).status_code == 403
    assert page_post(client, family).status_code == 403
    assert stored(folder) == []


@pytest.mark.parametrize("who", ["outsider", "monitor"])
def test_the_upload_page_of_a_case_out_of_sight_is_not_found(
    client: Client, request: pytest.FixtureRequest, family: Family, folder: Path, who: str
) -> None:
    login(client, request.getfixturevalue(who))

    assert client.get(reverse("document_new", args=[family.case.pk])).status_code == 404
    assert page_post(client, family).status_code == 404
    assert stored(folder) == []


def test_a_download_is_an_attachment_of_the_right_type_and_is_audited(
    client: Client, therapist: User, family: Family
) -> None:
    document = upload(therapist, family, name="../../etc/passwd.pdf")
    login(client, therapist)

    response = client.get(download_url(document))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="passwd.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert body(response) == PDF
    event = last_event()
    assert (event.action, event.actor, event.object_id) == (
        "document.download",
        therapist,
        str(document.pk),
    )


def test_a_download_of_an_image_says_it_is_an_image(
    client: Client, therapist: User, family: Family
) -> None:
    document = upload(therapist, family, name="Évaluation page 1.png", content=PNG)
    login(client, therapist)

    response = client.get(download_url(document))

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%C3%89valuation%20page%201.png"
    )
    assert body(response) == PNG


def test_the_supervisor_may_download(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    document = upload(therapist, family)
    login(client, supervisor)

    response = client.get(download_url(document))

    assert response.status_code == 200
    assert body(response) == PDF


def test_a_download_needs_login(client: Client, therapist: User, family: Family) -> None:
    document = upload(therapist, family)

    response = client.get(download_url(document))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("who", ["outsider", "monitor"])
def test_another_familys_document_is_not_found(
    client: Client, request: pytest.FixtureRequest, therapist: User, family: Family, who: str
) -> None:
    document = upload(therapist, family)
    login(client, request.getfixturevalue(who))
    events_before = Event.objects.exclude(action="access.denied").count()

    assert client.get(download_url(document)).status_code == 404
    assert client.get(reverse("document_download", args=[document.pk + 99])).status_code == 404
    assert Event.objects.exclude(action="access.denied").count() == events_before


def test_the_other_family_gets_404_for_our_document_and_we_for_theirs(
    client: Client, therapist: User, outsider: User, family: Family, other_family: Family
) -> None:
    ours = upload(therapist, family)
    theirs = upload(outsider, other_family)

    assert login(client, therapist).get(download_url(theirs)).status_code == 404
    assert login(Client(), outsider).get(download_url(ours)).status_code == 404


def test_a_damaged_file_sends_you_back_to_the_case_with_the_reason(
    client: Client, therapist: User, family: Family, folder: Path
) -> None:
    document = upload(therapist, family)
    (folder / document.stored_name).write_bytes(b"%PDF-tampered")
    login(client, therapist)

    response = client.get(download_url(document), follow=True)

    assert response.redirect_chain[0][0] == section_url(
        family.case.pk, "documents", "documents-heading"
    )
    assert "no longer matches the checksum" in text(response)


def test_downloads_show_in_who_looked_and_uploads_in_the_timeline(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    document = upload(therapist, family)
    body(login(client, supervisor).get(download_url(document)))

    looks = case_access_log(family.case)
    assert (looks[0].who, looks[0].what) == (
        "Sam Super",
        f"download: court order (document {document.pk})",
    )
    timeline = case_timeline(family.case)
    assert timeline[0].summary == "uploaded a document"
    assert all(entry.action != "document.download" for entry in timeline)


def _queries(client: Client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_case_page_query_count_does_not_grow_with_the_documents(
    client: Client, therapist: User, family: Family
) -> None:
    address = section_url(family.case.pk, "documents")
    login(client, therapist)
    upload(therapist, family)
    one = _queries(client, address)

    for number in range(4):
        upload(therapist, family, title=f"Report {number}", kind="cps_report")
    five = _queries(client, address)

    assert one == five
    assert "Report 3" in text(client.get(address))


# API -------------------------------------------------------------------------------------------


def api_upload(client: Client, family: Family, user: User | None, **fields: Any) -> Any:
    data: dict[str, Any] = {"kind": "prior_evaluation", "title": "Custody evaluation"}
    data["file"] = fields.pop("file", a_file("evaluation.pdf"))
    data.update(fields)
    headers = bearer(user) if user else {}
    with committing():
        return client.post(f"{API}/cases/{family.case.pk}/documents", data, headers=headers)


def test_the_api_uploads_a_document(
    client: Client, therapist: User, family: Family, folder: Path
) -> None:
    response = api_upload(client, family, therapist)

    assert response.status_code == 201
    document = Document.objects.get()
    assert response.json() == {
        "id": document.pk,
        "case_id": family.case.pk,
        "kind": "prior_evaluation",
        "kind_label": "Prior evaluation",
        "title": "Custody evaluation",
        "original_name": "evaluation.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "uploaded_by": "therapist",
        "uploaded_at": response.json()["uploaded_at"],
        "download": f"{API}/documents/{document.pk}/download",
    }
    assert stored(folder) == [document.stored_name]
    assert last_event().action == "document.upload"


def test_the_api_lists_a_cases_documents_and_audits_the_read(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    first = upload(therapist, family, title="First")
    second = upload(therapist, family, title="Second")

    response = client.get(f"{API}/cases/{family.case.pk}/documents", headers=bearer(supervisor))

    assert response.status_code == 200
    assert [d["id"] for d in response.json()] == [second.pk, first.pk]
    assert "stored_name" not in response.json()[0]
    assert Event.objects.filter(
        action="case.view", actor=supervisor, detail__what="api:document_list"
    ).exists()


def test_the_api_downloads_a_document_and_audits_it(
    client: Client, therapist: User, family: Family
) -> None:
    document = upload(therapist, family)

    response = client.get(f"{API}/documents/{document.pk}/download", headers=bearer(therapist))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="order.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == PDF
    assert last_event().action == "document.download"


@pytest.mark.parametrize("path", ["/cases/{case}/documents", "/documents/{document}/download"])
def test_the_api_needs_a_token(client: Client, therapist: User, family: Family, path: str) -> None:
    document = upload(therapist, family)
    address = API + path.format(case=family.case.pk, document=document.pk)

    assert client.get(address).status_code == 401
    response = api_upload(client, family, None)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication required")
    assert Document.objects.count() == 1


@pytest.mark.parametrize("who", ["outsider", "monitor"])
def test_the_api_hides_another_familys_documents(
    client: Client, request: pytest.FixtureRequest, therapist: User, family: Family, who: str
) -> None:
    document = upload(therapist, family)
    user = request.getfixturevalue(who)

    for address in (
        f"{API}/cases/{family.case.pk}/documents",
        f"{API}/documents/{document.pk}/download",
    ):
        response = client.get(address, headers=bearer(user))
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    assert api_upload(client, family, user).status_code == 404
    assert Document.objects.count() == 1


def test_the_api_lets_the_supervisor_download_but_not_upload(
    client: Client, therapist: User, supervisor: User, family: Family, folder: Path
) -> None:
    document = upload(therapist, family)

    response = client.get(f"{API}/documents/{document.pk}/download", headers=bearer(supervisor))
    assert response.status_code == 200
    assert body(response) == PDF

    refused = api_upload(client, family, supervisor)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You may not edit this case."}
    assert stored(folder) == [document.stored_name]


def test_the_api_refuses_a_bad_file_with_a_clear_error(
    client: Client, therapist: User, family: Family, folder: Path
) -> None:
    response = api_upload(client, family, therapist, file=a_file("virus.pdf", EXE))

    assert response.status_code == 400
    assert response.json()["detail"].startswith("“virus.pdf” is not a PDF, PNG or JPEG file")
    assert not Document.objects.exists()
    assert stored(folder) == []


def test_the_api_says_which_field_is_missing(
    client: Client, therapist: User, family: Family
) -> None:
    response = client.post(
        f"{API}/cases/{family.case.pk}/documents",
        {"kind": "court_order", "title": "No file"},
        headers=bearer(therapist),
    )

    assert response.status_code == 422
    assert "file" in response.json()["detail"]
    assert not Document.objects.exists()


def test_the_api_reports_a_damaged_file(
    client: Client, therapist: User, family: Family, folder: Path
) -> None:
    document = upload(therapist, family)
    (folder / document.stored_name).unlink()

    response = client.get(f"{API}/documents/{document.pk}/download", headers=bearer(therapist))

    assert response.status_code == 500
    assert "missing from the documents folder" in response.json()["detail"]


# The demo's sample documents -------------------------------------------------------------------


def _objects_at_their_offsets(pdf: bytes) -> bool:
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    table = pdf[start:].split(b"trailer", 1)[0].splitlines()[3:]
    return all(
        pdf[int(row[:10]) :].startswith(b"%d 0 obj" % number)
        for number, row in enumerate(table, start=1)
    )


def test_the_sample_pdf_is_a_well_formed_pdf() -> None:
    assert PDF.startswith(b"%PDF-1.4\n")
    assert PDF.endswith(b"%%EOF\n")
    assert _objects_at_their_offsets(PDF)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_the_sample_pdf_reads_back_as_text(tmp_path: Path) -> None:
    path = tmp_path / "sample.pdf"
    path.write_bytes(text_pdf("Minute order (FL-1)", ["Back\\slash and (brackets)", "Señora"]))

    result = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    )

    assert result.stderr == ""
    assert result.stdout.split("\n")[:3] == [
        "Minute order (FL-1)",
        "Back\\slash and (brackets)",
        "Señora",
    ]


def test_the_demo_families_have_documents_that_open(db: Any, folder: Path) -> None:
    from reunify.demo import demo_load

    with committing():
        demo_load()
        demo_load()

    documents = {d.case.title: d for d in Document.objects.select_related("case")}
    assert sorted(documents) == ["Marigold family", "Thistlewood family"]
    assert documents["Marigold family"].kind == "court_order"
    assert documents["Thistlewood family"].kind == "prior_evaluation"
    # Besides the court report and the notices of closing the demo issues.
    assert {d.stored_name for d in documents.values()} <= set(stored(folder))
    for document in documents.values():
        content = (folder / document.stored_name).read_bytes()
        assert content.startswith(b"%PDF-")
        assert _objects_at_their_offsets(content)
        assert hashlib.sha256(content).hexdigest() == document.sha256
