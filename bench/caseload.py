"""Benchmark: the caseload, a case page and the API case list, against a floor.

Builds a practice of N families for one therapist in a fresh SQLite file (or the database in
DATABASE_URL), then times each page in-process with Django's test client. The floor is
`/healthz` (one trivial query) measured in the same run, so the ratios mean something on any
machine. Prints p50/p95 latency, throughput, and the ratio of p50 to the floor's p50.

    .venv/bin/python bench/caseload.py [--families 50] [--requests 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _setup(var_dir: str) -> None:
    os.environ.setdefault("REUNIFY_VAR_DIR", var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunify.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _time(label: str, call: Callable[[], int], requests: int) -> tuple[str, list[float]]:
    call()  # warm caches and connections
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        status = call()
        samples.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"{label} answered {status}")
    return label, samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=50)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        _setup(var_dir)
        from django.test import Client

        from reunify.accounts.models import Role
        from reunify.accounts.services import token_create
        from reunify.conftest import advance_to, login, make_family, make_user

        supervisor = make_user("bench-supervisor", Role.SUPERVISOR)
        therapist = make_user("bench-therapist", Role.THERAPIST, supervisor=supervisor)
        families = []
        for i in range(args.families):
            family = make_family(therapist, title=f"Family {i:03d}", last=f"Bench{i:03d}")
            if i % 2:
                advance_to(therapist, family, "therapeutic_contact")
            families.append(family)
        client = login(Client(HTTP_HOST="127.0.0.1"), therapist)
        token = token_create(actor=None, user=therapist)
        case_id = families[-1].case.pk
        api = {"Authorization": f"Bearer {token}"}
        results = [
            _time("floor: GET /healthz", lambda: client.get("/healthz").status_code, args.requests),
            _time("GET / (caseload)", lambda: client.get("/").status_code, args.requests),
            _time(
                "GET /cases/<id>/",
                lambda: client.get(f"/cases/{case_id}/").status_code,
                args.requests,
            ),
            _time(
                "GET /api/v1/cases",
                lambda: client.get("/api/v1/cases", headers=api).status_code,
                args.requests,
            ),
        ]
    floor = statistics.median(results[0][1])
    print(f"{args.families} families, {args.requests} requests each, in-process, one client")
    print(f"{'operation':<24}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>9}{'x floor':>9}")
    for label, samples in results:
        p50 = statistics.median(samples)
        p95 = statistics.quantiles(samples, n=20)[-1]
        rate = 1000 * len(samples) / sum(samples)
        print(f"{label:<24}{p50:>9.2f}{p95:>9.2f}{rate:>9.0f}{p50 / floor:>9.1f}")


if __name__ == "__main__":
    main()
