"""The front door: security headers, no inline script or style, CSRF on every form, error pages
that leak nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse

from reunify.accounts.models import User
from reunify.accounts.services import enrolment_code_issue
from reunify.cases.models import Case
from reunify.conftest import PASSWORD, Family, bearer, login
from reunify.security import CONTENT_SECURITY_POLICY
from reunify.urls import urlpatterns as site_urlpatterns

REUNIFY = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.IGNORECASE)


def _explode(request: HttpRequest) -> HttpResponse:
    case = Case.objects.order_by("pk").first()
    raise RuntimeError(f"could not render {case.title if case else ''} for {request.user}")


# This module doubles as a URLconf (pytest.mark.urls) with one view that always fails.
urlpatterns = [path("explode/", _explode), *site_urlpatterns]


def assert_strict_page(response: Any) -> None:
    page = response.content.decode()
    assert not INLINE_SCRIPT.search(page), INLINE_SCRIPT.search(page)
    assert not INLINE_STYLE.search(page), INLINE_STYLE.search(page)
    assert not INLINE_HANDLER.search(page), INLINE_HANDLER.search(page)


def assert_security_headers(response: Any) -> None:
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


# Headers ----------------------------------------------------------------------------------------


def test_the_content_security_policy_is_strict() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))

    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }


def test_every_kind_of_answer_carries_the_security_headers(
    client: Client, therapist: User, family: Family
) -> None:
    anonymous = [client.get(reverse("login")), client.get("/healthz")]
    api = [client.get(f"/api/v1/cases/{family.case.pk}", headers=bearer(therapist))]
    login(client, therapist)
    pages = [
        client.get(reverse("caseload")),
        client.get(reverse("case_detail", args=[family.case.pk])),
        client.get("/no-such-page/"),
    ]

    for response in anonymous + api + pages:
        assert_security_headers(response)


def test_pages_of_a_logged_in_user_are_never_cached(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)

    response = client.get(reverse("case_detail", args=[family.case.pk]))

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_https_answers_carry_hsts_in_production(client: Client, db: Any) -> None:
    assert not settings.DEBUG

    response = client.get(reverse("login"), secure=True)

    assert response["Strict-Transport-Security"] == (
        f"max-age={settings.SECURE_HSTS_SECONDS}; includeSubDomains; preload"
    )
    assert settings.SECURE_HSTS_SECONDS >= 31536000


def test_cookies_are_secure_and_http_only_in_production(client: Client, therapist: User) -> None:
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY

    response = client.get(reverse("login"))
    csrf = response.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["httponly"]
    response = client.post(reverse("login"), {"username": "therapist", "password": PASSWORD})
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_the_api_docs_load_swagger_from_us_not_a_cdn(client: Client, db: Any) -> None:
    response = client.get("/api/v1/docs")

    page = response.content.decode()
    assert response.status_code == 200
    assert "cdn" not in page.lower()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    # Our own copies, under names that carry a hash of their content.
    assert [re.sub(r"\.[0-9a-f]{12}\.js$", ".js", src) for src in scripts] == [
        "/static/ninja/swagger-ui-bundle.js",
        "/static/ninja/swagger-ui-init.js",
    ]
    assert all(re.search(r"\.[0-9a-f]{12}\.js$", src) for src in scripts)
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert client.get(scripts[0]).status_code == 200


# No inline script or style: every page the policy would otherwise break ------------------------


def _templates() -> list[Path]:
    # The PDF templates are rendered to a file by WeasyPrint, never served as a page.
    return [
        p
        for p in sorted(REUNIFY.rglob("templates/**/*.html"))
        if "/templates/reports/pdf/" not in str(p)
    ]


def test_no_template_has_inline_script_style_or_event_handlers() -> None:
    offenders = [
        str(p.relative_to(REUNIFY))
        for p in _templates()
        if any(rule.search(p.read_text()) for rule in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER))
    ]

    assert offenders == []


def test_every_post_form_carries_a_csrf_token() -> None:
    missing = []
    for template in _templates():
        source = template.read_text()
        for form in re.finditer(r"<form\b[^>]*>.*?</form>", source, re.DOTALL | re.IGNORECASE):
            if 'method="post"' in form.group(0).lower() and "{% csrf_token %}" not in form.group(0):
                missing.append(f"{template.relative_to(REUNIFY)}: {form.group(0)[:80]}")

    assert missing == []


def test_a_post_without_its_csrf_token_is_refused(therapist: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "therapist", "password": PASSWORD})

    assert response.status_code == 403
    assert "The form had expired" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def _simple_pages(family: Family) -> list[str]:
    """Every page of the site that takes no argument or only the case's id."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str = "") -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name:
                route = prefix + str(entry.pattern)
                if "api/" in route:
                    continue
                converters = set(re.findall(r"<(?:\w+:)?(\w+)>", route))
                if converters <= {"case_id"}:
                    found.append("/" + re.sub(r"<(?:\w+:)?case_id>", str(family.case.pk), route))

    walk(get_resolver().url_patterns)
    return sorted(set(found))


@pytest.mark.parametrize("who", ["therapist", "supervisor", "monitor", "admin_user"])
def test_the_pages_have_no_inline_script_or_style(
    client: Client, request: pytest.FixtureRequest, family: Family, who: str
) -> None:
    login(client, request.getfixturevalue(who))
    # A page that fails is its own tests' business; this one only reads what pages render.
    client.raise_request_exception = False
    checked = 0

    for address in _simple_pages(family):
        response = client.get(address)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert_strict_page(response)
            checked += 1

    assert checked >= 3


def test_the_login_pages_have_no_inline_script_or_style(client: Client, therapist: User) -> None:
    assert_strict_page(client.get(reverse("login")))
    enrolment_code = enrolment_code_issue(actor=None, user=therapist)
    client.post(reverse("login"), {"username": "therapist", "password": PASSWORD})
    asked = client.get(reverse("login_enrol"))
    assert "Enter your enrolment code" in asked.content.decode()
    assert_strict_page(asked)
    client.post(reverse("login_enrol"), {"enrolment_code": enrolment_code})
    enrol = client.get(reverse("login_enrol"))
    assert "<svg" in enrol.content.decode()
    assert_strict_page(enrol)


# Error pages ------------------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_a_server_error_shows_the_500_page_and_nothing_else(
    therapist: User, family: Family, caplog: Any
) -> None:
    client = Client(raise_request_exception=False)
    login(client, therapist)

    response = client.get("/explode/")

    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "nothing from it was saved" in page
    for leak in ("Traceback", "RuntimeError", "Rivers", "could not render", "therapist", PASSWORD):
        assert leak not in page
    assert_security_headers(response)
    assert_strict_page(response)


def test_not_found_and_forbidden_pages_leak_nothing(
    client: Client, therapist: User, supervisor: User, family: Family, other_family: Family
) -> None:
    login(client, therapist)
    missing = client.get(reverse("case_detail", args=[other_family.case.pk]))
    assert missing.status_code == 404
    assert "Okafor" not in missing.content.decode()
    assert "No such case" not in missing.content.decode()
    assert "Page not found" in missing.content.decode()

    login(client, supervisor)
    refused = client.post(reverse("case_pause", args=[family.case.pk]), {"pause-reason": "x"})
    assert refused.status_code == 403
    assert "You may not do that" in refused.content.decode()
    assert "Traceback" not in refused.content.decode()
