"""The gate of a list of cases reads only what the gate needs, and reaches the same answer as
the case page and as the whole record: over the demo practice, and over a long history."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models.signals import post_init

from reunify.accounts.models import Role, User
from reunify.cases import selectors
from reunify.cases.models import Case
from reunify.conftest import make_family, screen
from reunify.demo import demo_load
from reunify.measures.services import willingness_record
from reunify.process.gates import gate_for, screen_due_on
from reunify.safety.models import Screening, ScreeningFinding


def test_the_caseload_gate_is_the_case_page_gate_for_every_demo_case(db: Any) -> None:
    demo_load()
    compared = 0
    for user in User.objects.filter(role__in=(Role.THERAPIST, Role.SUPERVISOR)):
        for row in selectors.caseload(user, include_closed=True):
            page = selectors.case_detail(user, row.case.pk, "overview")
            # Loaded with none of the trimmed facts: the rules read the whole record.
            whole = Case.objects.get(pk=row.case.pk)
            assert row.gate == gate_for(page) == gate_for(whole), row.case.title
            if row.case.phase != "closed":
                assert row.screen_due_on == screen_due_on(page) == screen_due_on(whole)
            compared += 1
    assert compared >= 6
    # The demo has cases with a gate open, closed by safety, and closed by readiness alone.
    gates = [row.gate for row in selectors.caseload(User.objects.get(username="therapist1"))]
    assert any(g.reasons and not g.overridable for g in gates)


@contextmanager
def built() -> Iterator[Counter[str]]:
    """Count the model objects built inside the block, by model."""
    counts: Counter[str] = Counter()

    def count(sender: type, **kwargs: Any) -> None:
        counts[sender.__name__] += 1

    post_init.connect(count, weak=False)
    try:
        yield counts
    finally:
        post_init.disconnect(count)


def test_the_caseload_builds_only_the_newest_screen_and_ratings(therapist: User) -> None:
    families = [make_family(therapist, title=f"Family {n}", last=f"Name{n}") for n in range(3)]
    for family in families:
        for days_ago in (90, 60, 30, 1):
            screen(therapist, family.case, days_ago=days_ago)
        for level in ("unwilling", "ambivalent", "open"):
            willingness_record(
                actor=therapist,
                case=family.case,
                party=family.child,
                level=level,
                rated_on=family.case.referral_date,
            )
    per_screen = ScreeningFinding.objects.filter(screening__case=families[0].case).count() // 4

    with built() as counts:
        rows = selectors.caseload(therapist)

    assert len(rows) == 3
    assert counts["Screening"] == 3
    assert counts["ScreeningFinding"] == 3 * per_screen
    assert counts["WillingnessRating"] == 3
    assert Screening.objects.count() == 12
    for row in rows:
        assert row.gate == gate_for(Case.objects.get(pk=row.case.pk))
