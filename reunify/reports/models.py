from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.text import slugify


def report_filename(title: str, start: dt.date, end: dt.date, *, preview: bool = False) -> str:
    """What a report's file is called: the family (the case's own title, nothing more) and the
    period, e.g. court-report-rivers-family-2026-09-01-to-2026-11-30.pdf."""
    family = slugify(title)[:60].strip("-") or "case"
    return f"court-report-{family}-{start}-to-{end}{'-preview' if preview else ''}.pdf"


class IssuedReport(models.Model):
    """A court progress report as issued: the exact PDF kept, hashed, numbered within its case.

    The database refuses to change or delete a row once written (migration 0002): a new version
    is a new report with the next number.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="reports")
    number = models.PositiveIntegerField(help_text="Report number within this case: 1, 2, …")
    period_start = models.DateField()
    period_end = models.DateField()
    summary = models.TextField(help_text="The therapist's summary, signed by issuing the report.")
    substance_use = models.BooleanField(
        default=False,
        help_text="Carries substance-use information: sent only under a release that names that "
        "category, with the redisclosure notice printed in it.",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64, db_index=True)
    stored_name = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    pages = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="report_number_per_case")
        ]

    def __str__(self) -> str:
        return f"Court progress report {self.number} ({self.period_start} to {self.period_end})"

    @property
    def filename(self) -> str:
        return report_filename(self.case.title, self.period_start, self.period_end)


class NoticeKind(models.TextChoices):
    PARENT = "parent", "Notice to a parent"
    COURT = "court", "Notice to the court or referrer"


class TerminationNotice(models.Model):
    """The written notice, sent when a case closes, to one parent or to the court or referrer.

    Kept like an issued report: exact bytes, SHA-256, never changed.
    """

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="termination_notices"
    )
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    recipient = models.ForeignKey(
        "cases.Party",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Blank: the referrer, who is not a party of the case.",
    )
    addressed_to = models.CharField(max_length=200)
    outcome = models.CharField(max_length=30)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64, db_index=True)
    stored_name = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    pages = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["issued_at", "id"]

    def __str__(self) -> str:
        return f"Notice of closing to {self.addressed_to}"

    @property
    def filename(self) -> str:
        return f"notice-of-closing-{self.case_id}-{self.pk}.pdf"
