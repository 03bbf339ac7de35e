from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reunify.audit.models import Recorded


class AppointmentKind(models.TextChoices):
    INTAKE = "intake", "Intake interview"
    INDIVIDUAL = "individual", "Individual session"
    PSYCHOEDUCATION = "psychoeducation", "Psychoeducation session"
    FAMILY = "family", "Family / conjoint session"
    CONTACT_SUPERVISED = "contact_supervised", "Therapeutic contact (supervised)"
    CONTACT_UNSUPERVISED = "contact_unsupervised", "Therapeutic contact (unsupervised)"
    CHECKIN = "checkin", "Integration check-in"
    COLLATERAL = "collateral", "Collateral contact"


CONTACT_KINDS = (AppointmentKind.CONTACT_SUPERVISED, AppointmentKind.CONTACT_UNSUPERVISED)


class Modality(models.TextChoices):
    OFFICE = "office", "In the office"
    TELEHEALTH = "telehealth", "Telehealth"
    COMMUNITY = "community", "In the community"


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"
    ENDED_EARLY = "ended_early", "Ended early"
    HELD = "held", "Held (case paused or ladder stepped down)"


HELD_STATUSES = (AppointmentStatus.COMPLETED, AppointmentStatus.ENDED_EARLY)


class CancelledBy(models.TextChoices):
    PARTY = "party", "A party"
    THERAPIST = "therapist", "The therapist"
    COURT = "court", "The court"


class EarlyEndReason(models.TextChoices):
    ACUTE_DISTRESS = "acute_distress", "Acute distress"
    RULE_BREACH = "rule_breach", "Rule breach"
    IMMINENT_HARM = "imminent_harm", "Imminent harm"


class Ladder(models.Model):
    """A case's contact ladder: where the child and the estranged parent stand, and the rules
    for stepping up."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="ladder")
    current_rung = models.ForeignKey(
        "ContactRung", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rung_entered_at = models.DateTimeField(help_text="When the current rung took effect.")
    min_sessions = models.PositiveSmallIntegerField(default=3)
    min_comfort = models.PositiveSmallIntegerField(default=6)
    integration_position = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The rung (by position) to reach before integration; empty: the default "
        "(see process.gates.integration_threshold).",
    )

    def __str__(self) -> str:
        return f"Ladder of {self.case}"


class ContactRung(models.Model):
    """One step of a case's contact ladder, from letters to regular parenting time."""

    ladder = models.ForeignKey(Ladder, on_delete=models.PROTECT, related_name="rungs")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    supervised = models.BooleanField(default=True)
    in_therapy = models.BooleanField(
        default=True, help_text="Takes place within therapy (letters, in-office visits)."
    )
    letters = models.BooleanField(
        default=False,
        help_text="Letters and messages exchanged, reviewed by the therapist, not timed visits.",
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["ladder", "position"], name="rung_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class LetterDirection(models.TextChoices):
    PARENT_TO_CHILD = "parent_to_child", _("From the parent to the child")
    CHILD_TO_PARENT = "child_to_parent", _("From the child to the parent")


class LetterDecision(models.TextChoices):
    PASSED_ON = "passed_on", _("Passed on")
    HELD_BACK = "held_back", _("Held back")


class Letter(Recorded):
    """A letter or message exchanged on a letters rung, reviewed by the therapist before it
    was passed on or held back."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="letters")
    rung = models.ForeignKey(
        ContactRung, on_delete=models.PROTECT, related_name="letters_exchanged"
    )
    written_on = models.DateField()
    direction = models.CharField(max_length=20, choices=LetterDirection.choices)
    content = models.TextField(
        help_text="The text or a summary: clinical, for the treating therapists only."
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_on = models.DateField()
    decision = models.CharField(max_length=12, choices=LetterDecision.choices)
    held_back_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["written_on", "id"]

    def __str__(self) -> str:
        return f"Letter of {self.written_on} ({self.get_direction_display()})"


class LadderStep(models.Model):
    """A move up or down the ladder: who, when, why, and on whose word."""

    ladder = models.ForeignKey(Ladder, on_delete=models.PROTECT, related_name="steps")
    from_rung = models.ForeignKey(
        ContactRung, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_rung = models.ForeignKey(ContactRung, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(
        max_length=10, choices=[("start", "Start"), ("up", "Up"), ("down", "Down")]
    )
    on_word_of = models.CharField(
        max_length=20, choices=[("therapist", "The therapist"), ("child", "The child")]
    )
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(help_text="When the step was recorded.")
    effective_on = models.DateField(
        help_text="The day the step took effect: today, or an earlier day recorded afterwards."
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.direction} to {self.to_rung}"


class ChildAssent(Recorded):
    """The child's own yes or no to moving up to a rung."""

    ladder = models.ForeignKey(Ladder, on_delete=models.PROTECT, related_name="assents")
    child = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="+")
    rung = models.ForeignKey(ContactRung, on_delete=models.PROTECT, related_name="assents")
    given = models.BooleanField()
    note = models.TextField(blank=True)
    recorded_on = models.DateField()

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{'Assent' if self.given else 'No assent'} to {self.rung}"


class Appointment(models.Model):
    """A session of any kind: scheduled, then held, cancelled, missed or ended early."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="appointments")
    kind = models.CharField(max_length=30, choices=AppointmentKind.choices)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=50)
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.OFFICE)
    location = models.CharField(max_length=200, blank=True)
    participants = models.ManyToManyField("cases.Party", related_name="appointments")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    monitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="monitored_appointments",
    )
    rung = models.ForeignKey(
        ContactRung, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    cancelled_by = models.CharField(max_length=20, choices=CancelledBy.choices, blank=True)
    cancelled_by_party = models.ForeignKey(
        "cases.Party", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    notice_hours = models.IntegerField(
        null=True, blank=True, help_text="Hours between the cancellation and the start."
    )
    no_show_party = models.ForeignKey(
        "cases.Party", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_early_reason = models.CharField(max_length=20, choices=EarlyEndReason.choices, blank=True)
    status_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["case", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_contact(self) -> bool:
        return self.kind in CONTACT_KINDS

    @property
    def was_held(self) -> bool:
        return self.status in HELD_STATUSES

    @property
    def late_cancellation(self) -> bool:
        return self.notice_hours is not None and self.notice_hours < 24


class ContactRecord(Recorded):
    """What happened at a therapeutic contact visit, in facts: no custody opinions."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="contact_record"
    )
    brought_by = models.ForeignKey(
        "cases.Party", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    observers = models.CharField(max_length=300, blank=True)
    duration_minutes = models.PositiveSmallIntegerField()
    comfort_before = models.PositiveSmallIntegerField()
    comfort_after = models.PositiveSmallIntegerField()
    critical_incidents = models.TextField(blank=True)
    observations = models.TextField(blank=True)
    safety_concern = models.BooleanField(default=False)
    safety_concern_note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Contact record of {self.appointment}"

    @property
    def lowest_comfort(self) -> int:
        return min(self.comfort_before, self.comfort_after)


class NoteFormat(models.TextChoices):
    DAP = "dap", "DAP (data, assessment, plan)"
    SOAP = "soap", "SOAP (subjective, objective, assessment, plan)"


NOTE_SECTIONS: dict[str, list[tuple[str, str]]] = {
    NoteFormat.DAP: [("data", "Data"), ("assessment", "Assessment"), ("plan", "Plan")],
    NoteFormat.SOAP: [
        ("subjective", "Subjective"),
        ("objective", "Objective"),
        ("assessment", "Assessment"),
        ("plan", "Plan"),
    ],
}


class ProgressNote(models.Model):
    """The progress note of a session: a draft until its author signs it, then locked."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="progress_notes")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="progress_notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    format = models.CharField(max_length=10, choices=NoteFormat.choices)
    body = models.JSONField(default=dict)
    safety_concern = models.BooleanField(default=False)
    safety_concern_note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["appointment__starts_at", "id"]

    def __str__(self) -> str:
        return f"Progress note for {self.appointment}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def sections(self) -> list[tuple[str, str]]:
        return [(label, self.body.get(key, "")) for key, label in NOTE_SECTIONS[self.format]]


class AddendumKind(models.TextChoices):
    ADDENDUM = "addendum", "Addendum"
    AMENDMENT = "amendment", "Amendment at a party's request"
    DENIAL = "denial", "Amendment request denied"
    DISAGREEMENT = "disagreement", "Party's statement of disagreement"


class Addendum(models.Model):
    """A signed, hashed addition to a signed note; each links to the one before it."""

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="addenda")
    kind = models.CharField(max_length=20, choices=AddendumKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    signed_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.note}"


class PsychotherapyNote(models.Model):
    """The therapist's private process notes, kept apart from the record: never in reports,
    exports or portals, seen only by the author (and their supervisor when shared)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    shared_with_supervisor = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Psychotherapy note {self.pk}"


class AmendmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DENIED = "denied", "Denied"


class AmendmentRequest(Recorded):
    """A party's request to amend their record, and what was decided."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="+")
    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="amendments")
    received_on = models.DateField()
    request_text = models.TextField()
    status = models.CharField(
        max_length=20, choices=AmendmentStatus.choices, default=AmendmentStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"Amendment request {self.pk} ({self.status})"


class ParentingArrangement(Recorded):
    """The parenting-time arrangement the family settles on in integration."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    description = models.TextField()
    effective_on = models.DateField()

    class Meta:
        ordering = ["-effective_on", "-id"]

    def __str__(self) -> str:
        return f"Arrangement from {self.effective_on}"
