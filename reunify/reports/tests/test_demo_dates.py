"""The demo practice's history has real past dates, so what it prints reads true: the Marigolds'
court report says the case opened months before the visits it lists, with the ladder's steps
on the days they happened; the Bramblecotts' notice of closing gives the weeks the service ran;
the caseload's days in phase count from the day each phase began."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from reunify.accounts.models import User
from reunify.cases.models import Case, Transition
from reunify.cases.selectors import caseload
from reunify.clinical.models import LadderStep
from reunify.demo import demo_load
from reunify.reports.models import IssuedReport, TerminationNotice
from reunify.reports.tests.factories import pdftotext, stored_bytes

ISO = r"\d{4}-\d{2}-\d{2}"


def day(days_ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days_ago)


def test_the_demo_history_reads_true(db: Any) -> None:
    demo_load()

    marigold = Case.objects.get(title="Marigold family")
    report = pdftotext(stored_bytes(IssuedReport.objects.get(case=marigold)))
    opened = re.search(rf"opened on ({ISO})", report)
    assert opened is not None and opened.group(1) == str(day(118))
    visits = report[
        report.index("Recorded contact visits") : report.index("Progress on treatment goals")
    ]
    # Each rung's first and last visit ("A to B"), leaving out the period in a page's footer.
    spans = re.findall(rf"({ISO}) to {ISO}", visits)
    first_visit = min(start for start in spans if start != str(day(42)))
    # The first rung's letters are not visits: the first visit is on the second rung.
    assert opened.group(1) < first_visit == str(day(12))
    assert f"{day(22)} Moved from individual work to therapeutic contact." in report
    assert f"{day(14)} Stepped up to “Short supervised visit in the office”." in report
    steps = LadderStep.objects.filter(ladder__case=marigold).order_by("effective_on")
    assert [s.effective_on for s in steps] == [day(22), day(14), day(4)]

    bramblecott = Case.objects.get(title="Bramblecott family")
    notice = pdftotext(stored_bytes(TerminationNotice.objects.filter(case=bramblecott)[0]))
    assert f"from {day(298)} to {day(250)} (48 days)" in notice

    rows = {row.case.title: row for row in caseload(User.objects.get(username="therapist1"))}
    assert rows["Marigold family"].days_in_phase == 22
    assert rows["Thistlewood family"].days_in_phase == 18
    # Every move took effect before it was recorded or on that day, never after.
    for move in Transition.objects.all():
        assert move.effective_on <= timezone.localdate(move.at)
