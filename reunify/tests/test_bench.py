"""The bench harness (bench/, `make bench`) still runs: its generator writes a valid practice
at a tiny scale, the query counts it reports can be taken, and its floor view exists only
under the bench's settings. Timings are not tested here."""

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import Resolver404, resolve

from bench import measure, practice
from reunify.accounts.models import User
from reunify.audit.chain import audit_verify
from reunify.audit.models import Event
from reunify.cases.models import Case
from reunify.clinical.models import Appointment, ProgressNote
from reunify.clinical.services import notes_verify
from reunify.conftest import login
from reunify.safety.models import ScreeningFinding

SCALE = 0.0002


def test_it_writes_a_valid_practice_and_counts_its_queries(db: Any) -> None:
    generated = practice.generate(SCALE, year_weeks=2)
    wanted = practice.targets(SCALE)
    bulk = Case.objects.exclude(pk=generated.year_case)
    assert bulk.count() == wanted["cases"]
    assert bulk.filter(therapist__username=practice.SMALL).count() == len(practice.SMALL_PICK)
    per_case = wanted["appointments"] // wanted["cases"]
    assert Appointment.objects.filter(case__in=bulk).count() == per_case * wanted["cases"]
    assert ProgressNote.objects.filter(case__in=bulk).count() == per_case * wanted["cases"]
    assert ScreeningFinding.objects.filter(screening__case__in=bulk).count() == 2 * 9 * len(bulk)
    assert Event.objects.filter(detail__what="bench").count() == wanted["audit events"]

    checked, bad = notes_verify()
    assert bad == []
    assert checked >= ProgressNote.objects.filter(signed_at__isnull=False).count()
    assert audit_verify().intact

    rows = measure.query_counts(generated)["rows"]
    assert [row["page"] for row in rows] == list(measure.page_addresses(1))
    for row in rows:
        assert row["queries small"] > 0 and row["queries large"] > 0
        assert row["cases small"] == len(practice.SMALL_PICK)


def test_the_floor_exists_only_under_the_bench_settings(therapist: User) -> None:
    with pytest.raises(Resolver404):
        resolve("/bench/floor")
    client = login(Client(), therapist)
    with override_settings(ROOT_URLCONF="bench.urls"):
        answer = client.get("/bench/floor")
    assert answer.status_code == 200
    assert answer.content == b"ok therapist"
