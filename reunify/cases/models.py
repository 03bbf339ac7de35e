from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from reunify.audit.models import Recorded

if TYPE_CHECKING:
    pass


class Phase(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment"
    PSYCHOEDUCATION = "psychoeducation", "Psychoeducation and preparation"
    INDIVIDUAL_WORK = "individual_work", "Individual work"
    THERAPEUTIC_CONTACT = "therapeutic_contact", "Therapeutic contact"
    INTEGRATION = "integration", "Integration and maintenance"
    CLOSED = "closed", "Closed"


PHASE_ORDER: list[str] = [
    Phase.ASSESSMENT,
    Phase.PSYCHOEDUCATION,
    Phase.INDIVIDUAL_WORK,
    Phase.THERAPEUTIC_CONTACT,
    Phase.INTEGRATION,
    Phase.CLOSED,
]


class ReferralSource(models.TextChoices):
    COURT_ORDER = "court_order", "Court order"
    CPS = "cps", "Child protective services"
    ATTORNEY = "attorney", "Attorney"
    SELF = "self", "Self-referral"


class Scenario(models.TextChoices):
    PROLONGED_SEPARATION = "prolonged_separation", "Prolonged separation"
    LOYALTY_CONFLICT = "loyalty_conflict", "Loyalty conflict or alienation claims"
    PARENT_HEALTH = "parent_health", "Parental mental-health or substance-use disruption"
    CHILD_RESISTANCE = "child_resistance", "Child's resistance or refusal"
    COURT_CPS = "court_cps", "Family court or CPS involvement"
    ABUSE_ALLEGATIONS = "abuse_allegations", "After abuse allegations"
    COPARENTING_BREAKDOWN = "coparenting_breakdown", "Co-parenting breakdown"
    COMPLEX_DYNAMICS = "complex_dynamics", "Complex family dynamics / identity development"


class Outcome(models.TextChoices):
    RESTORED = "restored", "Relationship restored"
    PARTIAL = "partial", "Partial (less conflict, better communication, regular contact)"
    NO_PROGRESS = "no_progress", "No progress"
    ENDED_FOR_SAFETY = "ended_for_safety", "Ended for safety"
    WITHDRAWN = "withdrawn", "Withdrawn"
    COURT_TERMINATED = "court_terminated", "Court-terminated"


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        return self.exclude(phase=Phase.CLOSED)


class Case(models.Model):
    """One family's reunification effort, from referral to closing."""

    title = models.CharField(max_length=120, help_text="How the practice refers to the family.")
    referral_source = models.CharField(max_length=20, choices=ReferralSource.choices)
    referral_date = models.DateField()
    referral_reason = models.TextField()
    court_ordered = models.BooleanField()
    scenarios = models.JSONField(default=list, blank=True)
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases"
    )
    co_therapists = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="co_cases"
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluated_cases",
    )
    phase = models.CharField(max_length=30, choices=Phase.choices, default=Phase.ASSESSMENT)
    # When the current phase, the pause, the opening and the closing took effect (the start of
    # that day when it was recorded afterwards); the transitions keep when each was recorded.
    phase_entered_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.TextField(blank=True)
    paused_for_safety = models.BooleanField(
        default=False,
        help_text="Paused by a safety finding or concern (a screen, a visit, a note), not by hand.",
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField()

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.phase == Phase.CLOSED

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def scenario_labels(self) -> list[str]:
        return [Scenario(code).label for code in self.scenarios if code in Scenario.values]


class Person(models.Model):
    """A human being who takes part in one or more cases; contact details live here once."""

    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    workplace = models.CharField(max_length=120, blank=True)
    protected_address = models.BooleanField(
        default=False,
        help_text="Domestic-violence or address-confidentiality programme: contact details "
        "(e-mail, phone, address, workplace) are shown to the therapist only.",
    )
    substitute_address = models.TextField(
        blank=True,
        max_length=500,
        help_text="The address-confidentiality programme's substitute address: the one that may "
        "be shown or used instead of the real one.",
    )
    interpreter_needed = models.BooleanField(default=False)
    preferred_language = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return self.full_name

    @classmethod
    def length_of(cls, field: str) -> int:
        """How long one of a person's details may be, as its field says (forms and services
        both ask here)."""
        found = cls._meta.get_field(field)
        length = found.max_length if isinstance(found, models.Field) else None
        if length is None:
            raise ValueError(f"Person.{field} has no length limit.")
        return length

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class PartyRole(models.TextChoices):
    CHILD = "child", "Child"
    ESTRANGED_PARENT = "estranged_parent", "Estranged parent"
    OTHER_PARENT = "other_parent", "Other parent"
    GUARDIAN = "guardian", "Guardian"
    STEP_PARENT = "step_parent", "Step-parent"
    EXTENDED_FAMILY = "extended_family", "Extended family"
    ATTORNEY = "attorney", "Attorney"
    GAL = "gal", "Guardian ad litem"
    COURT = "court", "Court"
    CPS = "cps", "CPS caseworker"
    SCHOOL = "school", "School contact"


PARENT_ROLES = (PartyRole.ESTRANGED_PARENT, PartyRole.OTHER_PARENT)
# The family, as against the professionals around it.
FAMILY_ROLES = (
    PartyRole.CHILD,
    PartyRole.ESTRANGED_PARENT,
    PartyRole.OTHER_PARENT,
    PartyRole.GUARDIAN,
    PartyRole.STEP_PARENT,
    PartyRole.EXTENDED_FAMILY,
)
# The professionals around the family, who see only what a release or court order covers.
LEGAL_ROLES = (
    PartyRole.ATTORNEY,
    PartyRole.GAL,
    PartyRole.COURT,
    PartyRole.CPS,
    PartyRole.SCHOOL,
)
# The adults whose informed consent, limits of confidentiality and service agreement are needed.
CONSENTING_ROLES = (
    PartyRole.ESTRANGED_PARENT,
    PartyRole.OTHER_PARENT,
    PartyRole.GUARDIAN,
    PartyRole.STEP_PARENT,
)


class Party(models.Model):
    """A person's role in one case (the same person may have another role in another case)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="parties")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(max_length=30, choices=PartyRole.choices)
    represents = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="represented_by",
        help_text="For an attorney: the party they act for.",
    )
    organisation = models.CharField(max_length=120, blank=True)
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person", "role"], name="party_unique_role_per_case"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        role = self.get_role_display().lower()
        if self.role in (*PARENT_ROLES, PartyRole.CHILD):
            role = f"the {role}"
        return f"{role} ({self.person.full_name})"


class CourtOrder(models.Model):
    """A court order on the case; its terms in force restrict what the process may do. An
    order that has ended or been superseded stays in the record."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="court_orders")
    number = models.PositiveIntegerField(help_text="Order number within this case: 1, 2, …")
    court = models.CharField(max_length=160)
    court_case_number = models.CharField(max_length=60)
    judge = models.CharField(max_length=120, blank=True)
    issued_on = models.DateField()
    recorded_at = models.DateTimeField()
    ended_on = models.DateField(
        null=True, blank=True, help_text="First day the order no longer applies."
    )
    end_reason = models.TextField(blank=True)
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        help_text="The earlier order this one replaces (in whole or in part).",
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="court_order_number_per_case")
        ]

    def __str__(self) -> str:
        return f"Court order {self.number} ({self.court_case_number})"


class TermKind(models.TextChoices):
    NO_CONTACT = "no_contact", "No contact"
    SUPERVISED_UNTIL = "supervised_until", "Supervised contact only until a date"
    THERAPEUTIC_ONLY = "therapeutic_only", "Therapeutic contact only"
    VISITS_ONLY = "visits_only", _("Unsupervised visits only, no regular parenting time")
    REPORTING_DUTY = "reporting_duty", "Reporting duty"
    OTHER = "other", "Other term"


class Cadence(models.TextChoices):
    """How often a reporting duty recurs."""

    ONCE = "once", _("Once")
    WEEKS = "weeks", _("Every few weeks")
    MONTHS = "months", _("Every few months")


class CourtTerm(models.Model):
    """One term of a court order, e.g. 'supervised contact only until 2027-01-15'."""

    order = models.ForeignKey(CourtOrder, on_delete=models.PROTECT, related_name="terms")
    kind = models.CharField(max_length=30, choices=TermKind.choices)
    until = models.DateField(null=True, blank=True, help_text="Last day the term applies.")
    due_on = models.DateField(null=True, blank=True, help_text="For a reporting duty.")
    cadence = models.CharField(
        max_length=10,
        choices=Cadence.choices,
        default=Cadence.ONCE,
        help_text="A reporting duty: once, or again every `every` weeks or months after each "
        "report issued.",
    )
    every = models.PositiveSmallIntegerField(
        default=1, help_text="With a recurring cadence: how many weeks or months apart."
    )
    text = models.TextField(blank=True)
    starts_on = models.DateField(
        null=True, blank=True, help_text="First day the term applies (added by an amendment)."
    )
    ended_on = models.DateField(
        null=True,
        blank=True,
        help_text="First day the term no longer applies (ended, amended or superseded).",
    )
    end_reason = models.TextField(blank=True)
    replaced_by = models.ForeignKey(
        CourtOrder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_terms",
        help_text="The later order that replaces this term.",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.describe()

    def in_force(self, today: dt.date) -> bool:
        return (
            (self.until is None or self.until >= today)
            and (self.starts_on is None or self.starts_on <= today)
            and (self.ended_on is None or today < self.ended_on)
        )

    def describe_cadence(self) -> str:
        if self.cadence == Cadence.WEEKS:
            return ngettext(
                ", then every week after each report",
                ", then every %(n)s weeks after each report",
                self.every,
            ) % {"n": self.every}
        if self.cadence == Cadence.MONTHS:
            return ngettext(
                ", then every month after each report",
                ", then every %(n)s months after each report",
                self.every,
            ) % {"n": self.every}
        return ""

    def describe(self) -> str:
        if self.kind == TermKind.NO_CONTACT:
            return f"no contact until {self.until}" if self.until else "no contact"
        if self.kind == TermKind.SUPERVISED_UNTIL:
            return f"supervised contact only until {self.until}"
        if self.kind == TermKind.THERAPEUTIC_ONLY:
            return (
                f"therapeutic contact only until {self.until}"
                if self.until
                else "therapeutic contact only"
            )
        if self.kind == TermKind.VISITS_ONLY:
            return (
                gettext("unsupervised visits only, no regular parenting time, until %(date)s")
                % {"date": self.until}
                if self.until
                else gettext("unsupervised visits only, no regular parenting time")
            )
        if self.kind == TermKind.REPORTING_DUTY:
            return (
                f"report to the court due {self.due_on}"
                + self.describe_cadence()
                + (f": {self.text}" if self.text else "")
            )
        return self.text


class Intake(Recorded):
    """A separate intake interview held with one party during assessment."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="intakes")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="intakes")
    held_on = models.DateField()
    appointment = models.ForeignKey(
        "clinical.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The intake interview session this was recorded from, if any.",
    )

    class Meta:
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"Intake with {self.party.person.full_name} on {self.held_on}"


class ConsentKind(models.TextChoices):
    INFORMED_CONSENT = "informed_consent", "Informed consent"
    LIMITS_OF_CONFIDENTIALITY = "limits_of_confidentiality", "Limits of confidentiality"
    SERVICE_AGREEMENT = "service_agreement", "Service agreement"


class Consent(Recorded):
    """A signed consent document of one adult party."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consents")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=40, choices=ConsentKind.choices)
    signed_on = models.DateField()

    class Meta:
        ordering = ["signed_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} signed by {self.party.person.full_name}"


class DocumentReview(Recorded):
    """The therapist's review of prior evaluations, court documents and CPS input."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="document_reviews")
    reviewed_on = models.DateField()
    none_provided = models.BooleanField(default=False)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["reviewed_on", "id"]

    def __str__(self) -> str:
        return "No documents provided" if self.none_provided else self.description[:60]


class ReadinessLevel(models.TextChoices):
    NOT_READY = "not_ready", "Not ready"
    PARTLY_READY = "partly_ready", "Partly ready"
    READY = "ready", "Ready"


class DatedRating(Recorded):
    """A judgement about a case, dated: readiness here, willingness and alignment in measures.
    One function saves them all (`cases.services.rating_save`), with the same rules: dated on a
    day from the referral to today, with an optional note, by whoever recorded it, when."""

    rated_on = models.DateField()
    note = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["rated_on", "id"]


class ReadinessRating(DatedRating):
    """The therapist's rating of one party's readiness for contact, or the child's own word."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="readiness_ratings")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="readiness_ratings")
    level = models.CharField(max_length=20, choices=ReadinessLevel.choices)

    def __str__(self) -> str:
        return f"{self.party.person.full_name}: {self.get_level_display()}"


class TransitionKind(models.TextChoices):
    OPEN = "open", "Opened"
    ADVANCE = "advance", "Moved on"
    OVERRIDE = "override", "Moved on by override"
    PAUSE = "pause", "Paused"
    RESUME = "resume", "Resumed"
    CLOSE = "close", "Closed"


class Transition(models.Model):
    """A change of the case's phase or paused state: who, when, why."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transitions")
    kind = models.CharField(max_length=20, choices=TransitionKind.choices)
    from_phase = models.CharField(max_length=30, choices=Phase.choices, blank=True)
    to_phase = models.CharField(max_length=30, choices=Phase.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(help_text="When the change was recorded.")
    effective_on = models.DateField(
        help_text="The day the change took effect: today, or an earlier day recorded afterwards."
    )
    rationale = models.TextField(blank=True)
    overridden_reasons = models.JSONField(default=list, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    court_reason = models.TextField(
        blank=True,
        help_text="A pause's reason as written for the court: the only reason a court report "
        "prints (the clinical rationale never leaves the record).",
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.from_phase} → {self.to_phase}"


class ResumeConditions(models.TextChoices):
    """What made it safe to resume a paused case (one or more are recorded with the resume)."""

    FURTHER_INDIVIDUAL_THERAPY = (
        "further_individual_therapy",
        _("Further individual therapy completed"),
    )
    LEGAL_INTERVENTION = "legal_intervention", _("Legal intervention resolved the restriction")
    FAMILY_STABILISATION = "family_stabilisation", _("The family has stabilised")
    OTHER = "other", _("Other (described in the note)")


class OverrideStatus(models.TextChoices):
    PENDING = "pending", "Awaiting co-signature"
    COSIGNED = "cosigned", "Co-signed"
    DECLINED = "declined", "Declined"


class OverrideRequest(models.Model):
    """A therapist's written rationale for passing readiness reasons, awaiting a co-signature."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="override_requests")
    from_phase = models.CharField(max_length=30, choices=Phase.choices)
    to_phase = models.CharField(max_length=30, choices=Phase.choices)
    reasons = models.JSONField(default=list)
    rationale = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=OverrideStatus.choices, default=OverrideStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"Override {self.from_phase} → {self.to_phase} ({self.status})"
