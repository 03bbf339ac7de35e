from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from reunify.audit.models import Recorded
from reunify.cases.models import DatedRating, Party, PartyRole


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
        constraints = [
            models.UniqueConstraint(
                fields=["case", "standard"],
                condition=~Q(standard=""),
                name="goal_standard_once_per_case",
            )
        ]

    def __str__(self) -> str:
        return self.title


class GoalRating(Recorded):
    """A dated rating of progress on one goal (0-10)."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="ratings")
    rated_on = models.DateField()
    value = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["rated_on", "id"]

    def __str__(self) -> str:
        return f"{self.goal}: {self.value} on {self.rated_on}"


# Willingness and the support system ----------------------------------------------------------


class WillingnessLevel(models.TextChoices):
    """How willing a party is to take part, from refusing to fully engaged (in this order)."""

    UNWILLING = "unwilling", "Unwilling"
    AMBIVALENT = "ambivalent", "Ambivalent"
    OPEN = "open", "Open"
    ENGAGED = "engaged", "Engaged"


WILLINGNESS_ORDER: list[str] = list(WillingnessLevel.values)


class WillingnessRating(DatedRating):
    """The therapist's dated judgement of one family member's willingness to take part."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="willingness_ratings"
    )
    party = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=20, choices=WillingnessLevel.choices)

    def __str__(self) -> str:
        return f"{self.get_level_display()} on {self.rated_on}"


class Stakeholder(models.TextChoices):
    """The parts of the support system around the family whose alignment is tracked."""

    COURT = "court", "The court"
    ATTORNEY = "attorney", "Attorney"
    GAL = "gal", "Guardian ad litem"
    CPS = "cps", "CPS"
    SCHOOL = "school", "School"


# The party role that stands for each part of the support system, when it is a party.
STAKEHOLDER_ROLES: dict[str, str] = {
    Stakeholder.COURT: PartyRole.COURT,
    Stakeholder.ATTORNEY: PartyRole.ATTORNEY,
    Stakeholder.GAL: PartyRole.GAL,
    Stakeholder.CPS: PartyRole.CPS,
    Stakeholder.SCHOOL: PartyRole.SCHOOL,
}


class Alignment(models.TextChoices):
    ALIGNED = "aligned", "Aligned"
    NOT_ALIGNED = "not_aligned", "Not aligned"
    UNKNOWN = "unknown", "Unknown"


class AlignmentRating(DatedRating):
    """Whether one part of the support system (the court, an attorney, the GAL, CPS, the
    school) pulls in the same direction as the treatment plan, as of a date."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="alignment_ratings"
    )
    stakeholder = models.CharField(max_length=20, choices=Stakeholder.choices)
    party = models.ForeignKey(
        "cases.Party",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Which one, when the case has that person as a party (always for an attorney).",
    )
    status = models.CharField(max_length=20, choices=Alignment.choices)

    def __str__(self) -> str:
        return f"{self.get_stakeholder_display()}: {self.get_status_display()} on {self.rated_on}"


# The child's voice -------------------------------------------------------------------------


class LastVisit(models.TextChoices):
    GOOD = "good", "Good"
    OKAY = "okay", "Okay"
    HARD = "hard", "Hard"
    NONE = "none", "There was no visit"


class CheckinSource(models.TextChoices):
    PORTAL = "portal", "Filled in by the child on the portal"
    SESSION = "session", "Recorded by the therapist in session"


class ChildCheckin(Recorded):
    """The child's own private word on how ready and how safe they feel: seen by the treating
    therapists alone, never by a parent, a supervisor or in any report."""

    # related_name "+": no reverse accessor, so no prefetch of the case can carry these along.
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="+")
    ready = models.PositiveSmallIntegerField(help_text="0 (not at all) to 10 (completely).")
    safe = models.PositiveSmallIntegerField(help_text="0 (not at all) to 10 (completely).")
    last_visit = models.CharField(max_length=10, choices=LastVisit.choices)
    slow_down = models.BooleanField(default=False)
    feels_unsafe = models.BooleanField(
        default=False, help_text="The child said: I don't feel safe."
    )
    safety_concern = models.BooleanField(
        default=False,
        help_text="Rated unsafe or 'I don't feel safe': the case pauses until a fresh screen.",
    )
    words = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=CheckinSource.choices)
    # Set when a treating therapist first opens the check-ins: until then it waits in their queue.
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"Check-in {self.pk}"


class Task(models.Model):
    """Something the treating therapist must attend to, e.g. a child who asked to slow down."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    text = models.CharField(max_length=300)
    checkin = models.OneToOneField(
        ChildCheckin, null=True, blank=True, on_delete=models.PROTECT, related_name="task"
    )
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


# Questionnaires ----------------------------------------------------------------------------


class InstrumentQuerySet(models.QuerySet["Instrument"]):
    def active(self) -> InstrumentQuerySet:
        return self.filter(active=True)


class Instrument(models.Model):
    """A scored questionnaire: the project's own forms, or one a practice holds a licence for,
    imported as data. Its definition is never changed once saved; a new version is a new row."""

    slug = models.SlugField(max_length=60)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    licence = models.TextField(blank=True, help_text="Who holds the rights, and on what terms.")
    definition = models.JSONField(help_text="The validated instrument file (reunify-instrument/1).")
    shipped = models.BooleanField(default=False, help_text="One of the project's own forms.")
    active = models.BooleanField(default=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField()

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        ordering = ["title", "version", "id"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="instrument_slug_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class QuestionnaireResponse(Recorded):
    """One informant's answers to an instrument on a date, with the scores they gave."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="questionnaire_responses"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    informant = models.CharField(
        max_length=30, help_text="Who answered: a family role, or 'therapist'."
    )
    party = models.ForeignKey(
        "cases.Party",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The family member who answered; empty when the therapist rated.",
    )
    answered_on = models.DateField()
    answers = models.JSONField(help_text="Item id to the value chosen; null when left out.")
    scores = models.JSONField(help_text="One entry per subscale, as the engine scored it.")

    class Meta:
        ordering = ["answered_on", "id"]

    def __str__(self) -> str:
        return f"{self.instrument} by {self.informant} on {self.answered_on}"


def checkin_is_unsafe(*, safe: int, feels_unsafe: bool) -> bool:
    """A child's check-in is a safety concern when it rates how safe they feel at or below
    REUNIFY_CHECKIN_UNSAFE_AT (of 10), or says they do not feel safe."""
    return feels_unsafe or safe <= settings.REUNIFY_CHECKIN_UNSAFE_AT


def stakeholder_label(stakeholder: str, party: Party | None) -> str:
    """Words for one part of the support system: "the court", "the attorney (Ana Silva)…"."""
    if party is not None:
        name = party.person.full_name
        if stakeholder == Stakeholder.ATTORNEY and party.represents is not None:
            return f"the attorney for {party.represents.person.full_name} ({name})"
        return f"the {Stakeholder(stakeholder).label.lower().removeprefix('the ')} ({name})"
    words = {
        Stakeholder.COURT: "the court",
        Stakeholder.ATTORNEY: "an attorney",
        Stakeholder.GAL: "the guardian ad litem",
        Stakeholder.CPS: "CPS",
        Stakeholder.SCHOOL: "the school",
    }
    return words[Stakeholder(stakeholder)]
