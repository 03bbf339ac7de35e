from django.conf import settings
from django.db import models


class StandardGoal(models.TextChoices):
    """The seven goals of reunification therapy."""

    EMOTIONAL_SAFETY = "emotional_safety", "Rebuild emotional safety"
    TRUST = "trust", "Restore trust"
    COMMUNICATION = "communication", "Foster open communication"
    PAST_EXPERIENCES = "past_experiences", "Process past experiences"
    BOND = "bond", "Strengthen the parent-child bond"
    AUTONOMY = "autonomy", "Support the child's autonomy"
    CO_PARENTING = "co_parenting", "Model healthy co-parenting"


class Goal(models.Model):
    """One goal of a case's treatment plan, rated 0-10 from a baseline towards a target."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="goals")
    standard = models.CharField(
        max_length=30, choices=StandardGoal.choices, blank=True, help_text="Blank: case-specific."
    )
    title = models.CharField(max_length=160)
    baseline = models.PositiveSmallIntegerField()
    target = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class GoalRating(models.Model):
    """A dated rating of progress on one goal (0-10)."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="ratings")
    rated_on = models.DateField()
    value = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["rated_on", "id"]

    def __str__(self) -> str:
        return f"{self.goal}: {self.value} on {self.rated_on}"
