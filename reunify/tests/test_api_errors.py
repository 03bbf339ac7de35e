"""Every API error answers JSON `{"detail": ...}` with the right status, never an HTML page:
unknown paths, wrong methods, unhandled exceptions, oversize bodies; pages keep their pages."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django.test import Client, RequestFactory

from reunify.accounts.models import User
from reunify.cases.models import Case
from reunify.conftest import bearer
from reunify.errors import csrf_failure

API = "/api/v1"


def detail(response: Any) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return str(response.json()["detail"])


def test_an_unknown_api_path_answers_json_404(client: Client, db: Any) -> None:
    for path in ("/api/nothing", f"{API}/nothing/here"):
        response = client.get(path)

        assert response.status_code == 404
        assert detail(response) == "Not found."


def test_an_unknown_page_still_answers_the_page(client: Client, db: Any) -> None:
    response = client.get("/nothing-here")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_wrong_method_answers_json_405(client: Client, therapist: User) -> None:
    response = client.delete(f"{API}/cases", headers=bearer(therapist))

    assert response.status_code == 405
    assert detail(response) == "Method Not Allowed."
    assert "GET" in response["Allow"]


def test_an_unhandled_exception_answers_json_500(therapist: User) -> None:
    client = Client(raise_request_exception=False)
    with mock.patch("reunify.cases.api.selectors.caseload_cases", side_effect=RuntimeError("boom")):
        response = client.get(f"{API}/cases", headers=bearer(therapist))

    assert response.status_code == 500
    assert "nothing from it was saved" in detail(response)
    assert "boom" not in response.content.decode()


@pytest.mark.parametrize(
    ("limits", "body", "says"),
    [
        # Past any upload: refused before the body is read.
        (
            {"REUNIFY_MAX_UPLOAD_BYTES": 1000, "DATA_UPLOAD_MAX_MEMORY_SIZE": 1000},
            3000,
            "the largest upload accepted",
        ),
        # Past what a JSON body may hold in memory.
        ({"DATA_UPLOAD_MAX_MEMORY_SIZE": 100}, 500, "too large"),
    ],
)
def test_a_body_too_large_answers_json_413(
    client: Client,
    therapist: User,
    settings: Any,
    limits: dict[str, int],
    body: int,
    says: str,
) -> None:
    for name, value in limits.items():
        setattr(settings, name, value)

    response = client.post(
        f"{API}/cases",
        json.dumps({"title": "x" * body}),
        content_type="application/json",
        headers=bearer(therapist),
    )

    assert response.status_code == 413
    assert says in detail(response)
    assert not Case.objects.exists()


def test_an_oversize_page_post_answers_a_plain_413_page(
    client: Client, db: Any, settings: Any
) -> None:
    settings.REUNIFY_MAX_UPLOAD_BYTES = 1000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post("/login/", {"username": "x" * 3000})

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "the largest upload accepted" in response.content.decode()


def test_the_api_takes_tokens_not_cookies_so_it_never_fails_csrf(db: Any) -> None:
    response = Client(enforce_csrf_checks=True).post(f"{API}/cases", {})

    assert response.status_code == 401
    assert "bearer token" in detail(response)


def test_a_csrf_refusal_answers_json_under_the_api_and_a_page_elsewhere(db: Any) -> None:
    refusal = csrf_failure(RequestFactory().post(f"{API}/cases"), "CSRF cookie not set.")
    assert refusal.status_code == 403
    assert "security token" in json.loads(refusal.content)["detail"]

    response = Client(enforce_csrf_checks=True).post("/login/", {})

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
