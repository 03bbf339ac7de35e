from django.db import models

from reunify.audit.models import Recorded


class Contraindication(models.TextChoices):
    ONGOING_ABUSE = "ongoing_abuse", "Ongoing abuse or safety concerns"
    PARENT_MENTAL_ILLNESS = "parent_mental_illness", "A parent's unresolved mental illness"
    COURT_RESTRICTION = "court_restriction", "Court restrictions"
    CHILD_DISTRESS = "child_distress", "Severe emotional distress in the child"
    NO_ACCOUNTABILITY = "no_accountability", "Lack of parental accountability"
    FORCED_PARTICIPATION = "forced_participation", "Forced participation without readiness"
    COERCION = "coercion", "Manipulation or coercion by either parent"
    CHILD_SELF_HARM = "child_self_harm", "Child self-harm risk"
    SUBSTANCE_MISUSE = "substance_misuse", "Active substance misuse"


class FindingStatus(models.TextChoices):
    PRESENT = "present", "Present"
    ABSENT = "absent", "Absent"
    UNKNOWN = "unknown", "Unknown"


class Screening(Recorded):
    """A safety screen of the whole family against every contraindication."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="screenings")
    screened_on = models.DateField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["screened_on", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"Safety screen of {self.screened_on}"

    def findings_with(self, status: str) -> list["ScreeningFinding"]:
        return [f for f in self.findings.all() if f.status == status]


class ScreeningFinding(models.Model):
    """What one screen found about one contraindication."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="findings")
    contraindication = models.CharField(max_length=40, choices=Contraindication.choices)
    status = models.CharField(max_length=10, choices=FindingStatus.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "contraindication"], name="finding_once_per_screening"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_contraindication_display()}: {self.get_status_display()}"
