"""The bench's in-process numbers: queries per page at two practice sizes, and the court
report's time. Both run against the generated practice through Django's test client and the
real services."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from bench.practice import SMALL_SUPERVISOR, SUPERVISOR, THERAPIST, Practice


def _client(username: str) -> Any:
    from django.test import Client

    from reunify.accounts.models import User
    from reunify.conftest import login

    return login(Client(HTTP_HOST="127.0.0.1"), User.objects.get(username=username))


def page_addresses(case_id: int) -> dict[str, str]:
    """The pages and API reads the bench measures, for one case."""
    return {
        "caseload": "/",
        "case page": f"/cases/{case_id}/",
        "gate": f"/api/v1/cases/{case_id}/gate",
        "timeline": f"/cases/{case_id}/timeline/",
        "API case list": "/api/v1/cases",
    }


def query_counts(practice: Practice) -> dict[str, Any]:
    """Queries each page makes for a supervisor who sees ten cases and for one who sees every
    other case of the practice, each looking at a case alike: flat query counts are equal."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reunify.accounts.models import User
    from reunify.accounts.services import token_create
    from reunify.cases.models import Case

    sizes = {
        SMALL_SUPERVISOR: (
            Case.objects.filter(therapist__supervisor__username=SMALL_SUPERVISOR).count(),
            practice.small_case,
        ),
        SUPERVISOR: (
            Case.objects.filter(therapist__supervisor__username=SUPERVISOR).count(),
            practice.other_case,
        ),
    }
    counts: dict[str, dict[str, int]] = {}
    cases: dict[str, int] = {}
    for username, (visible, case_id) in sizes.items():
        client = _client(username)
        user = User.objects.get(username=username)
        api = {"Authorization": f"Bearer {token_create(actor=None, user=user, label='bench')}"}
        cases[username] = visible
        for label, address in page_addresses(case_id).items():
            headers = api if address.startswith("/api/") else {}
            client.get(address, headers=headers)  # warm: sessions, caches
            with CaptureQueriesContext(connection) as queries:
                status = client.get(address, headers=headers).status_code
            if status != 200:
                raise RuntimeError(f"{label} ({address}) answered {status} for {username}")
            counts.setdefault(label, {})[username] = len(queries.captured_queries)
    rows = []
    for label, by_user in counts.items():
        small, large = by_user[SMALL_SUPERVISOR], by_user[SUPERVISOR]
        rows.append(
            {
                "page": label,
                "cases small": cases[SMALL_SUPERVISOR],
                "queries small": small,
                "cases large": cases[SUPERVISOR],
                "queries large": large,
                "equal": small == large,
            }
        )
    return {"rows": rows}


def verify_time() -> dict[str, Any]:
    """`audit_verify()` itself, in this process: the command's time without its start-up."""
    from reunify.audit.chain import audit_verify

    began = time.perf_counter()
    report = audit_verify()
    seconds = time.perf_counter() - began
    return {
        "events": report.checked,
        "seconds": round(seconds, 2),
        "events/s": round(report.checked / seconds) if seconds else 0,
        "intact": report.intact,
    }


def report_time(practice: Practice, runs: int = 3) -> dict[str, Any]:
    """Issue the year case's court progress report for its whole year, `runs` times (each
    issues, renders, stores, hashes and audits a new report)."""
    from django.utils import timezone

    from reunify.accounts.models import User
    from reunify.cases.models import Case
    from reunify.reports.services import report_issue

    therapist = User.objects.get(username=THERAPIST)
    case = Case.objects.get(pk=practice.year_case)
    end = timezone.localdate()
    start = end - dt.timedelta(days=365)
    samples = []
    pages = 0
    for _ in range(runs):
        began = time.perf_counter()
        report = report_issue(
            actor=therapist, case=case, start=start, end=end, summary="A year of sessions."
        )
        samples.append(time.perf_counter() - began)
        pages = report.pages
    return {
        "runs": runs,
        "p50 s": round(statistics.median(samples), 3),
        "max s": round(max(samples), 3),
        "pages": pages,
        "target s": 2.0,
        "pass": statistics.median(samples) < 2.0,
    }
