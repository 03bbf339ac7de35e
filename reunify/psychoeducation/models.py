from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from reunify.cases.models import CONSENTING_ROLES, PartyRole

# The parties a module is written for: the family, never the professionals around it.
FAMILY_ROLES = (*CONSENTING_ROLES, PartyRole.CHILD, PartyRole.EXTENDED_FAMILY)


class Topic(models.TextChoices):
    IMPACT_OF_ESTRANGEMENT = "impact_of_estrangement", "Impact of estrangement"
    MENTAL_HEALTH = "mental_health", "The role of mental health in family breakdown"
    CO_PARENTING = "co_parenting", "Healthy co-parenting"
    COMMUNICATION = "communication", "Communication skills"
    EMOTIONAL_REGULATION = "emotional_regulation", "Emotional regulation"
    DEVELOPMENTAL_EFFECTS = (
        "developmental_effects",
        "Developmental effects of prolonged conflict or rejection",
    )


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"


class ModuleQuerySet(models.QuerySet["Module"]):
    def active(self) -> ModuleQuerySet:
        return self.filter(active=True)


class Module(models.Model):
    """One entry of the practice's library: a short text for families on one topic."""

    topic = models.CharField(max_length=40, choices=Topic.choices)
    title = models.CharField(max_length=160)
    summary = models.CharField(
        max_length=300, help_text="One or two sentences: what the reader will take away."
    )
    body = models.TextField(help_text="Plain text; leave an empty line between paragraphs.")
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH)
    active = models.BooleanField(
        default=True, help_text="Only modules in use can be assigned to a family."
    )
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for the texts the project ships.",
    )

    objects = ModuleQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.replace("\r\n", "\n").split("\n\n") if p.strip()]


class CompletionSource(models.TextChoices):
    IN_SESSION = "in_session", "Recorded in session"
    PORTAL = "portal", "Through the family portal"


class ModuleAssignment(models.Model):
    """A library module given to one family member of a case, and when they completed it."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="module_assignments"
    )
    party = models.ForeignKey(
        "cases.Party", on_delete=models.PROTECT, related_name="module_assignments"
    )
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField()
    completed_on = models.DateField(null=True, blank=True)
    completion_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completion_source = models.CharField(
        max_length=20, choices=CompletionSource.choices, blank=True
    )

    class Meta:
        ordering = ["assigned_at", "id"]
        constraints = [
            # The service says so in words; this keeps two racing requests honest too.
            models.UniqueConstraint(
                fields=["party", "module"],
                condition=Q(completed_on__isnull=True),
                name="module_assignment_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.module.title} for {self.party.person.full_name}"

    @property
    def is_completed(self) -> bool:
        return self.completed_on is not None
