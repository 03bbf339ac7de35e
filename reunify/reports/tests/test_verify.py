"""The public /verify page: genuine, issued on DATE by PRACTICE — or not issued here. It needs
no login, reveals nothing about the case, and is CSRF-protected."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import User
from reunify.clinical.tests.factories import stopped_clock
from reunify.conftest import Family
from reunify.documents.pdf import text_pdf
from reunify.reports.models import IssuedReport
from reunify.reports.services import report_verify
from reunify.reports.tests.factories import issue, stored_bytes, with_professionals

PRACTICE = "Elm Street Family Therapy"


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture(autouse=True)
def practice(settings: Any) -> None:
    settings.REUNIFY_PRACTICE_NAME = PRACTICE


@pytest.fixture
def report(therapist: User, family: Family) -> IssuedReport:
    return issue(therapist, with_professionals(therapist, family))


def one_byte_changed(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    return bytes(changed)


def page(response: Any) -> str:
    return response.content.decode()


def upload(client: Client, data: bytes, name: str = "report.pdf") -> Any:
    return client.post(reverse("verify"), {"file": SimpleUploadedFile(name, data)})


# The service -----------------------------------------------------------------------------------


def test_the_issued_bytes_are_genuine(report: IssuedReport) -> None:
    result = report_verify(stored_bytes(report))

    assert result.genuine
    assert result.words == f"Genuine: issued on 2030-06-03 by {PRACTICE}."


def test_the_hash_alone_is_enough_in_any_case_and_spacing(report: IssuedReport) -> None:
    spaced = " ".join(report.sha256.upper()[i : i + 8] for i in range(0, 64, 8))

    assert report_verify(spaced).genuine


def test_one_byte_changed_is_not_issued_here(report: IssuedReport) -> None:
    result = report_verify(one_byte_changed(stored_bytes(report)))

    assert not result.genuine
    assert result.words.startswith("Not issued here")


def test_an_unknown_hash_is_not_issued_here(report: IssuedReport) -> None:
    assert not report_verify(hashlib.sha256(b"something else").hexdigest()).genuine


def test_a_malformed_hash_gets_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="64 characters long"):
        report_verify("not-a-hash")


# The page ---------------------------------------------------------------------------------------


def test_the_page_needs_no_login(client: Client) -> None:
    response = client.get(reverse("verify"))

    assert response.status_code == 200
    assert "Check a report or notice" in page(response)


def test_an_uploaded_genuine_copy_says_genuine_and_nothing_else(
    client: Client, report: IssuedReport
) -> None:
    response = upload(client, stored_bytes(report))

    assert response.status_code == 200
    text = page(response)
    assert f'Genuine: issued on <time datetime="2030-06-03">2030-06-03</time> by {PRACTICE}.' in (
        text
    )
    for secret in ("Rivers", "Mia", "Elmshire", "FL-2030", "Tess Hale", str(report.number) + ":"):
        assert secret not in text


def test_a_copy_changed_by_one_byte_is_not_issued_here(
    client: Client, report: IssuedReport
) -> None:
    response = upload(client, one_byte_changed(stored_bytes(report)))

    assert response.status_code == 200
    assert "Not issued here" in page(response)
    assert "Genuine:" not in page(response)


def test_a_pasted_hash_is_checked(client: Client, report: IssuedReport) -> None:
    genuine = client.post(reverse("verify"), {"sha256": report.sha256})
    unknown = client.post(reverse("verify"), {"sha256": "ab" * 32})

    assert "Genuine: issued on" in page(genuine)
    assert "Not issued here" in page(unknown)


def test_a_pdf_never_issued_here_is_not_issued_here(client: Client, report: IssuedReport) -> None:
    response = upload(client, text_pdf("Court progress report", ["Looks official."]))

    assert "Not issued here" in page(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Upload the PDF, or paste its SHA-256 fingerprint: one of the two."),
        ({"sha256": "12345"}, "A SHA-256 fingerprint is 64 characters long"),
    ],
)
def test_bad_input_gets_a_clear_error(client: Client, data: dict[str, str], message: str) -> None:
    response = client.post(reverse("verify"), data)

    assert response.status_code == 400
    assert message in page(response)
    assert "Genuine" not in page(response)


def test_the_form_is_csrf_protected(report: IssuedReport) -> None:
    strict = Client(enforce_csrf_checks=True)

    refused = strict.post(reverse("verify"), {"sha256": report.sha256})
    assert refused.status_code == 403

    strict.get(reverse("verify"))
    token = strict.cookies["csrftoken"].value
    accepted = strict.post(
        reverse("verify"), {"sha256": report.sha256, "csrfmiddlewaretoken": token}
    )
    assert accepted.status_code == 200
    assert "Genuine: issued on" in page(accepted)
