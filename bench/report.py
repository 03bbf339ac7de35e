"""Benchmark: issuing a court progress report on a year of weekly sessions, against a floor.

Builds, in a fresh SQLite file (or the database in DATABASE_URL), one family followed for a
year: every week an individual session and a supervised contact visit, each with a signed
progress note (the visit recorded too), a cancellation every fifth week, monthly re-screens,
steps up the contact ladder, and the seven treatment goals rated every fortnight. Then times
`report_issue` for the whole year, several times (each run issues, stores, hashes, audits and
logs the disclosure of a new report), and splits it into reading the records and rendering.
The floor is WeasyPrint rendering a trivial one-page PDF in the same run, so the ratio means
something on any machine. Target: report_issue p50 under 2 s.

    .venv/bin/python bench/report.py [--weeks 52] [--runs 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_MS = 2000


def _setup(var_dir: str) -> None:
    os.environ.setdefault("REUNIFY_VAR_DIR", var_dir)
    os.environ.setdefault("REUNIFY_DOCUMENTS_DIR", str(Path(var_dir) / "documents"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunify.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _time(label: str, call: Callable[[], Any], runs: int) -> tuple[str, list[float]]:
    call()  # warm caches, fonts and connections
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return label, samples


def _build(weeks: int) -> tuple[Any, Any, Any]:
    """A year of therapy for one family, written through the services with the clock moving."""
    import time_machine
    from django.utils import timezone

    from reunify.accounts.models import Role
    from reunify.cases import services as cases
    from reunify.cases.models import PartyRole
    from reunify.clinical import services as clinical
    from reunify.clinical.models import ContactRung, Ladder
    from reunify.conftest import advance_to, make_family, make_user, screen
    from reunify.disclosure.models import Category
    from reunify.disclosure.services import release_grant
    from reunify.measures import services as measures
    from reunify.measures.models import StandardGoal

    zone = timezone.get_current_timezone()
    start = (timezone.now() - dt.timedelta(weeks=weeks + 1)).astimezone(zone)
    start = start.replace(hour=9, minute=0, second=0, microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        supervisor = make_user("bench-supervisor", Role.SUPERVISOR)
        therapist = make_user("bench-therapist", Role.THERAPIST, supervisor=supervisor)
        family = make_family(therapist, title="Benchmark family", last="Bench")
        case = family.case
        for party in (family.child, family.estranged, family.other):
            if hasattr(measures, "willingness_record"):
                measures.willingness_record(
                    actor=therapist,
                    case=case,
                    party=party,
                    level="open",
                    rated_on=timezone.localdate(),
                )
        order = cases.court_order_record(
            actor=therapist,
            case=case,
            court="Superior Court of Benchmark County",
            court_case_number="FL-BENCH-0001",
            issued_on=timezone.localdate(),
            terms=[],
        )
        court = cases.party_add(
            actor=therapist, case=case, role=PartyRole.COURT, first_name="Clerk", last_name="Bench"
        )
        release_grant(
            actor=therapist,
            case=case,
            recipient=court,
            categories=[Category.COURT_REPORTS],
            purpose="Progress reports ordered by the court",
            expires_on=timezone.localdate() + dt.timedelta(weeks=weeks + 10),
            court_order=order,
        )
        advance_to(therapist, family, "therapeutic_contact")
        goals = [
            measures.goal_add(actor=therapist, case=case, standard=code, baseline=2, target=8)
            for code in StandardGoal.values
        ]
        for week in range(weeks):
            monday = start + dt.timedelta(weeks=week, days=1)
            clock.move_to(monday - dt.timedelta(hours=20))
            if week % 4 == 0:
                screen(therapist, case)
            session = clinical.appointment_schedule(
                actor=therapist,
                case=case,
                kind="individual",
                starts_at=monday,
                participants=[family.child],
            )
            visit = clinical.appointment_schedule(
                actor=therapist,
                case=case,
                kind="contact_supervised"
                if Ladder.objects.get(case=case).current_rung.supervised  # type: ignore[union-attr]
                else "contact_unsupervised",
                starts_at=monday + dt.timedelta(days=3),
                duration_minutes=60,
                participants=[family.child, family.estranged],
            )
            if week % 5 == 4:
                clinical.appointment_cancel(
                    actor=therapist, appointment=session, cancelled_by="party", party=family.child
                )
            else:
                clock.move_to(monday + dt.timedelta(hours=2))
                clinical.appointment_complete(actor=therapist, appointment=session)
                note = clinical.note_write(
                    actor=therapist,
                    appointment=session,
                    format="dap",
                    body={"data": "Talked about school.", "assessment": "Calm.", "plan": "Next."},
                )
                clinical.note_sign(actor=therapist, note=note)
            clock.move_to(visit.starts_at + dt.timedelta(hours=2))
            clinical.contact_record(
                actor=therapist,
                appointment=visit,
                facts=clinical.ContactFacts(
                    duration_minutes=55,
                    comfort_before=7,
                    comfort_after=8,
                    brought_by=family.other,
                    observations="They played cards and talked about the dog.",
                ),
            )
            note = clinical.note_write(
                actor=therapist,
                appointment=visit,
                format="dap",
                body={"data": "Visit held.", "assessment": "Warm.", "plan": "Same rung."},
            )
            clinical.note_sign(actor=therapist, note=note)
            if week % 2 == 1:
                for goal in goals:
                    measures.goal_rate(
                        actor=therapist,
                        goal=goal,
                        value=min(8, 2 + week // 8),
                        rated_on=timezone.localdate(),
                    )
            if week % 6 == 5:
                ladder = Ladder.objects.select_related("current_rung").get(case=case)
                current = ladder.current_rung
                assert current is not None
                following = ContactRung.objects.filter(
                    ladder=ladder, position=current.position + 1
                ).first()
                if following is not None:
                    clinical.assent_record(
                        actor=therapist,
                        case=case,
                        child=family.child,
                        rung=following,
                        given=True,
                        recorded_on=timezone.localdate(),
                    )
                    screen(therapist, case)
                    clinical.ladder_step_up(actor=therapist, case=case, rationale="Calm visits.")
        clock.move_to(timezone.now() + dt.timedelta(days=1))
    return therapist, case, timezone.localdate(start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        _setup(var_dir)
        import weasyprint
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from reunify.clinical.models import Appointment, ProgressNote
        from reunify.measures.models import GoalRating
        from reunify.reports import selectors
        from reunify.reports.models import IssuedReport
        from reunify.reports.render import pdf_render
        from reunify.reports.services import report_issue

        built = time.perf_counter()
        therapist, case, start = _build(args.weeks)
        built = time.perf_counter() - built
        end = timezone.localdate()
        facts = selectors.report_facts(case, start, end)

        def issue() -> IssuedReport:
            return report_issue(
                actor=therapist,
                case=case,
                start=start,
                end=end,
                summary="A year of weekly sessions and visits.",
            )

        def render() -> Any:
            return pdf_render(
                "reports/pdf/report.html",
                {"facts": facts, "number": 1, "summary": "Summary.", "recipients": []},
            )

        results = [
            _time(
                "floor: trivial 1-page PDF",
                lambda: weasyprint.HTML(string="<p>Floor.</p>").write_pdf(),
                args.runs,
            ),
            _time(
                "read signed records",
                lambda: selectors.report_facts(case, start, end),
                args.runs,
            ),
            _time("render the report", render, args.runs),
            _time("report_issue (all of it)", issue, args.runs),
        ]
        with CaptureQueriesContext(connection) as queries:
            report = issue()
        counts = (
            Appointment.objects.filter(case=case).count(),
            ProgressNote.objects.filter(case=case, signed_at__isnull=False).count(),
            GoalRating.objects.filter(goal__case=case).count(),
        )
    floor = statistics.median(results[0][1])
    print(
        f"{args.weeks} weeks: {counts[0]} sessions, {counts[1]} signed notes, {counts[2]} goal "
        f"ratings (built in {built:.0f} s); {connection.vendor}; {args.runs} runs each, in-process"
    )
    print(
        f"the report: {report.pages} pages, {report.size / 1024:.0f} KB, "
        f"{len(queries.captured_queries)} queries for report_issue"
    )
    print(f"{'operation':<28}{'p50 ms':>9}{'p95 ms':>9}{'min ms':>9}{'x floor':>9}")
    for label, samples in results:
        p50 = statistics.median(samples)
        p95 = statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]
        print(f"{label:<28}{p50:>9.1f}{p95:>9.1f}{min(samples):>9.1f}{p50 / floor:>9.1f}")
    issued = statistics.median(results[-1][1])
    verdict = "within" if issued < TARGET_MS else "OVER"
    print(f"report_issue p50 {issued:.0f} ms: {verdict} the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
