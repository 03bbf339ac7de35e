"""The forms of the clinical pages: they parse and shape input; the services decide what is valid.

A form checks only what a browser can get wrong (a missing field, a malformed date or time);
every rule of scheduling, recording, the ladder and the notes lives in the service it calls,
whose `ValidationError` the view shows on the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reunify.accounts.models import Role, User
from reunify.cases.forms import (
    PartyChoiceField,
    date_field,
    effective_date_field,
    parties_of,
    text_area,
)
from reunify.cases.models import FAMILY_ROLES, Party
from reunify.clinical.models import (
    NOTE_SECTIONS,
    AppointmentKind,
    CancelledBy,
    ContactRung,
    EarlyEndReason,
    Ladder,
    LetterDecision,
    LetterDirection,
    Modality,
    NoteFormat,
)
from reunify.clinical.services import ContactFacts, RungInput


class TimeInput(forms.TimeInput):
    """The browser's own time picker; its value is always HH:MM."""

    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


def _local_time(value: dt.date, time: dt.time) -> dt.datetime:
    """A date and a wall-clock time in the practice's time zone."""
    return timezone.make_aware(dt.datetime.combine(value, time))


class ObjectChoiceField(forms.ChoiceField):
    """A choice among objects the page has already loaded: no query to render or to check."""

    def __init__(self, *, empty: str | None = None, radio: bool = False, **kwargs: Any) -> None:
        self.empty = empty
        self.objects: dict[str, Any] = {}
        if radio:
            kwargs["widget"] = forms.RadioSelect
        super().__init__(choices=[], **kwargs)

    def offer(self, objects: Iterable[Any], describe: Callable[[Any], str] = str) -> None:
        self.objects = {str(obj.pk): obj for obj in objects}
        choices = [(key, describe(obj)) for key, obj in self.objects.items()]
        self.choices = [("", self.empty), *choices] if self.empty is not None else choices

    def clean(self, value: Any) -> Any:
        key = super().clean(value)
        return self.objects.get(key) if key else None


def party_name(party: Party) -> str:
    return f"{party.person.full_name} — {party.get_role_display()}"


def rung_name(rung: ContactRung) -> str:
    kind = "supervised" if rung.supervised else "unsupervised"
    return f"{rung.position}. {rung.name} ({kind})"


class PartiesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Party) -> str:
        return party_name(obj)


class RungField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ContactRung) -> str:
        return rung_name(obj)


class MonitorField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


# Scheduling -------------------------------------------------------------------------------------


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(
        label="Type of session", choices=[("", "— choose —"), *AppointmentKind.choices]
    )
    day = date_field("Date")
    time = forms.TimeField(label="Start time", widget=TimeInput())
    duration_minutes = forms.IntegerField(label="Length in minutes", initial=50)
    modality = forms.ChoiceField(
        label="Where", choices=Modality.choices, initial=Modality.OFFICE, widget=forms.RadioSelect
    )
    location = forms.CharField(
        label="Location",
        max_length=200,
        required=False,
        help_text="The room, the address of a community outing, or the telehealth link.",
    )
    participants = PartiesField(
        label="Participants",
        queryset=Party.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="An intake interview is held with one party at a time; a contact visit "
        "needs the child and the estranged parent.",
        error_messages={"required": "Tick at least one participant."},
    )
    monitor = MonitorField(
        label="Visit monitor",
        queryset=User.objects.none(),
        required=False,
        empty_label="— none: the therapist supervises in person —",
        help_text="Contact visits only.",
    )
    rung = RungField(
        label="Ladder rung",
        queryset=ContactRung.objects.none(),
        required=False,
        empty_label="— the current rung —",
        help_text="Contact visits only: the current rung or one below it.",
    )

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = parties_of(case, FAMILY_ROLES)  # type: ignore[attr-defined]
        self.fields["monitor"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            role=Role.MONITOR, is_active=True
        ).order_by("last_name", "first_name", "username")
        self.fields["rung"].queryset = ContactRung.objects.filter(ladder__case=case)  # type: ignore[attr-defined]

    def starts_at(self) -> dt.datetime:
        return _local_time(self.cleaned_data["day"], self.cleaned_data["time"])

    def schedule_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "starts_at": self.starts_at(),
            "duration_minutes": data["duration_minutes"],
            "modality": data["modality"],
            "location": data["location"],
            "participants": list(data["participants"]),
            "monitor": data["monitor"],
            "rung": data["rung"],
        }


class RescheduleForm(forms.Form):
    day = date_field("New date")
    time = forms.TimeField(label="New start time", widget=TimeInput())
    duration_minutes = forms.IntegerField(
        label="Length in minutes", required=False, help_text="Leave empty to keep it."
    )

    def starts_at(self) -> dt.datetime:
        return _local_time(self.cleaned_data["day"], self.cleaned_data["time"])


class CancelForm(forms.Form):
    cancelled_by = forms.ChoiceField(
        label="Cancelled by",
        choices=CancelledBy.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say who cancelled: a party, the therapist or the court."},
    )
    party = ObjectChoiceField(
        label="Which party",
        empty="— not a party —",
        required=False,
        help_text="When a party cancelled.",
    )
    note = forms.CharField(label="Note", required=False, widget=text_area(2))

    def __init__(self, *args: Any, parties: Iterable[Party], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].offer(parties, party_name)  # type: ignore[attr-defined]


class CompleteForm(forms.Form):
    note = forms.CharField(label="Note on the session", required=False, widget=text_area(2))


class NoShowForm(forms.Form):
    party = ObjectChoiceField(
        label="Who did not come",
        empty="— choose —",
        error_messages={"required": "Name the party who did not come."},
    )
    note = forms.CharField(label="Note", required=False, widget=text_area(2))

    def __init__(self, *args: Any, parties: Iterable[Party], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].offer(parties, party_name)  # type: ignore[attr-defined]


# The contact record -----------------------------------------------------------------------------


def comfort_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=10,
        help_text="0 = very uncomfortable, 10 = completely at ease.",
        error_messages={
            "required": "Rate the child's comfort from 0 to 10.",
            "min_value": "Rate the child's comfort from 0 to 10.",
            "max_value": "Rate the child's comfort from 0 to 10.",
        },
    )


class ContactRecordForm(forms.Form):
    """What happened at a contact visit, in facts."""

    brought_by = ObjectChoiceField(
        label="Who brought the child", empty="— not recorded —", required=False
    )
    observers = forms.CharField(
        label="Observers",
        max_length=300,
        required=False,
        help_text="Anyone present besides the child, the parent and the monitor.",
    )
    duration_minutes = forms.IntegerField(label="How long the visit lasted, in minutes")
    comfort_before = comfort_field("The child's comfort before the visit (0 to 10)")
    comfort_after = comfort_field("The child's comfort after the visit (0 to 10)")
    critical_incidents = forms.CharField(
        label="Critical incidents", required=False, widget=text_area(3)
    )
    observations = forms.CharField(
        label="Observations",
        required=False,
        widget=text_area(5),
        help_text="What was said and done — facts, quoted where you can. No custody opinions.",
    )
    ended_early_reason = forms.ChoiceField(
        label="Ended early?",
        choices=[("", "No — the visit ran its course"), *EarlyEndReason.choices],
        required=False,
        help_text="Ending a visit early ends the visit, not the service.",
    )
    safety_concern = forms.BooleanField(
        label="A safety concern was raised",
        required=False,
        help_text="This pauses the case at once and holds the contact visits still to come.",
    )
    safety_concern_note = forms.CharField(
        label="The safety concern", required=False, widget=text_area(3)
    )
    confirm_facts = forms.BooleanField(
        label="These are quoted facts, not my opinion: save them as written", required=False
    )

    def __init__(self, *args: Any, parties: Iterable[Party], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["brought_by"].offer(parties, party_name)  # type: ignore[attr-defined]

    def facts(self) -> ContactFacts:
        data = self.cleaned_data
        return ContactFacts(
            duration_minutes=data["duration_minutes"],
            comfort_before=data["comfort_before"],
            comfort_after=data["comfort_after"],
            brought_by=data["brought_by"],
            observers=data["observers"],
            critical_incidents=data["critical_incidents"],
            observations=data["observations"],
            ended_early_reason=data["ended_early_reason"],
            safety_concern=data["safety_concern"],
            safety_concern_note=data["safety_concern_note"],
        )

    def fact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "confirm_facts"]


# Notes ------------------------------------------------------------------------------------------


class NoteForm(forms.Form):
    """A progress note's sections, DAP or SOAP, and any safety concern it raises."""

    format = forms.ChoiceField(choices=NoteFormat.choices, widget=forms.HiddenInput)

    def __init__(self, *args: Any, format: str = NoteFormat.DAP, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            posted = self.data.get(self.add_prefix("format"))
            format = posted if posted in NoteFormat.values else format
        self.note_format = format
        self.fields["format"].initial = format
        for key, label in NOTE_SECTIONS[format]:
            self.fields[key] = forms.CharField(label=label, required=False, widget=text_area(4))
        self.fields["safety_concern"] = forms.BooleanField(
            label="This session raised a safety concern",
            required=False,
            help_text="This pauses the case at once and holds the contact visits still to come.",
        )
        self.fields["safety_concern_note"] = forms.CharField(
            label="The safety concern", required=False, widget=text_area(3)
        )

    @property
    def format_label(self) -> str:
        return NoteFormat(self.note_format).label

    def body(self) -> dict[str, str]:
        return {key: self.cleaned_data[key] for key, _ in NOTE_SECTIONS[self.note_format]}


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        widget=text_area(3),
        help_text="Signed and hashed when saved; it cannot be changed afterwards.",
    )


class AmendmentRequestForm(forms.Form):
    party = PartyChoiceField(label="Asked by", queryset=Party.objects.none())
    received_on = date_field("Received on")
    request_text = forms.CharField(label="What they ask to change", widget=text_area(3))

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties_of(case, FAMILY_ROLES)  # type: ignore[attr-defined]


class AmendmentDecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", "Accept"), ("deny", "Deny")],
        error_messages={"required": "Choose to accept or to deny the request."},
    )
    reason = forms.CharField(label="Reason for the decision", widget=text_area(2))
    amendment_text = forms.CharField(
        label="The amended text",
        required=False,
        widget=text_area(3),
        help_text="When you accept: appended to the note as a signed amendment.",
    )
    disagreement_statement = forms.CharField(
        label="The party's statement of disagreement",
        required=False,
        widget=text_area(3),
        help_text="When you deny and the party gives one: appended after the denial.",
    )


class PsychotherapyNoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=text_area(6))
    appointment = ObjectChoiceField(
        label="Session", empty="— not tied to a session —", required=False
    )
    share_with_supervisor = forms.BooleanField(
        label="Share with my clinical supervisor", required=False
    )

    def __init__(self, *args: Any, appointments: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appointment"].offer(  # type: ignore[attr-defined]
            appointments,
            lambda a: f"{timezone.localtime(a.starts_at):%Y-%m-%d %H:%M} — {a.get_kind_display()}",
        )


# The ladder -------------------------------------------------------------------------------------


class StepUpForm(forms.Form):
    rationale = forms.CharField(label="Note on the step up", required=False, widget=text_area(2))
    effective_on = effective_date_field(_("Stepped up on"))


class StepDownForm(forms.Form):
    on_word_of = forms.ChoiceField(
        label="On whose word",
        choices=[("child", "The child's"), ("therapist", "The therapist's")],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the child or the therapist asked for it."},
    )
    reason = forms.CharField(label="Why", widget=text_area(2))
    to = ObjectChoiceField(label="Down to", empty="— one rung down —", required=False)
    effective_on = effective_date_field(_("Stepped down on"))

    def __init__(self, *args: Any, rungs_below: Iterable[ContactRung] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].offer(sorted(rungs_below, key=lambda r: -r.position), rung_name)  # type: ignore[attr-defined]


class AssentForm(forms.Form):
    child = ObjectChoiceField(label="Child")
    rung = ObjectChoiceField(label="To the rung")
    given = forms.TypedChoiceField(
        label="The child's answer",
        choices=[("yes", "Yes, agrees"), ("no", "No, does not agree")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Record the child's yes or no."},
    )
    recorded_on = date_field("Heard on")
    note = forms.CharField(label="In the child's words", required=False, widget=text_area(2))

    def __init__(
        self,
        *args: Any,
        children: Iterable[Party] = (),
        rungs: Iterable[ContactRung] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child"].offer(children, lambda p: p.person.full_name)  # type: ignore[attr-defined]
        self.fields["rung"].offer(rungs, rung_name)  # type: ignore[attr-defined]


class LetterForm(forms.Form):
    """A letter or message exchanged on a letters rung, and the therapist's review of it."""

    written_on = date_field(_("Written on"))
    direction = forms.ChoiceField(
        label=_("Which way"), choices=LetterDirection.choices, widget=forms.RadioSelect
    )
    content = forms.CharField(
        label=_("The letter's text, or a summary"),
        help_text=_("Clinical information: only the treating therapists see it."),
        widget=text_area(5),
    )
    reviewed_on = date_field(_("Reviewed on"))
    decision = forms.ChoiceField(
        label=_("After review"), choices=LetterDecision.choices, widget=forms.RadioSelect
    )
    held_back_reason = forms.CharField(
        label=_("Why it was held back"),
        required=False,
        help_text=_("Needed when the letter is held back."),
        widget=text_area(2),
    )


class LadderThresholdsForm(forms.Form):
    min_sessions = forms.IntegerField(
        label="Consecutive completed contact visits needed on a rung before a step up"
    )
    min_comfort = forms.IntegerField(
        label="The child's lowest comfort (0 to 10) allowed at each of those visits"
    )
    integration_position = forms.ChoiceField(
        label=_("The rung to reach before integration and maintenance"),
        required=False,
        help_text=_(
            "By default the top rung (regular parenting time), or the rung below it while a "
            "court order allows unsupervised visits only. Either way the last visits on it "
            "must be calm and the child must agree."
        ),
    )

    def __init__(self, *args: Any, rungs: Iterable[ContactRung] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["integration_position"].choices = [  # type: ignore[attr-defined]
            ("", _("The default")),
            *[(str(r.position), rung_name(r)) for r in rungs if not r.supervised],
        ]


class RungRowForm(forms.Form):
    """One rung above the current one; a row whose name is left empty is dropped."""

    name = forms.CharField(label="Name", max_length=120, required=False)
    supervised = forms.BooleanField(label="Supervised", required=False)
    in_therapy = forms.BooleanField(
        label="Within therapy (letters, in-office visits)", required=False
    )
    letters = forms.BooleanField(
        label=_("Letters and messages: the way up counts letters passed on, not visits"),
        required=False,
    )

    def rung(self) -> RungInput | None:
        data = self.cleaned_data
        name = (data.get("name") or "").strip()
        if not name:
            return None
        return RungInput(
            name=name,
            supervised=data["supervised"],
            in_therapy=data["in_therapy"],
            letters=data["letters"],
        )


EXTRA_RUNG_ROWS = 2


class LadderForm(forms.Form):
    """The thresholds, and the rungs above the current one as rows (blank rows are dropped)."""

    def __init__(
        self,
        data: Any = None,
        *,
        ladder: Ladder,
        above: list[ContactRung],
        rungs: Iterable[ContactRung] = (),
    ) -> None:
        super().__init__(data)
        self.thresholds = LadderThresholdsForm(
            data,
            initial={
                "min_sessions": ladder.min_sessions,
                "min_comfort": ladder.min_comfort,
                "integration_position": ladder.integration_position or "",
            },
            rungs=rungs,
        )
        self.above = above
        rows = [
            {
                "name": r.name,
                "supervised": r.supervised,
                "in_therapy": r.in_therapy,
                "letters": r.letters,
            }
            for r in above
        ] + [{"supervised": True, "in_therapy": False}] * EXTRA_RUNG_ROWS
        self.rows = [
            RungRowForm(data, prefix=f"rung-{n}", initial=initial)
            for n, initial in enumerate(rows, start=1)
        ]
        for number, row in enumerate(self.rows, start=current_position(ladder) + 1):
            row.number = number  # type: ignore[attr-defined]

    def is_valid(self) -> bool:
        rows_valid = all([row.is_valid() for row in self.rows])
        return self.thresholds.is_valid() and rows_valid

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.thresholds.errors) or any(r.errors for r in self.rows)

    def changes(self, ladder: Ladder) -> dict[str, Any]:
        """Only what differs from the ladder as it stands: the service refuses a no-op."""
        data = self.thresholds.cleaned_data
        changes: dict[str, Any] = {}
        if data["min_sessions"] != ladder.min_sessions:
            changes["min_sessions"] = data["min_sessions"]
        if data["min_comfort"] != ladder.min_comfort:
            changes["min_comfort"] = data["min_comfort"]
        position = int(data["integration_position"]) if data["integration_position"] else None
        if position != ladder.integration_position:
            changes["integration_position"] = position
        rungs = [rung for row in self.rows if (rung := row.rung()) is not None]
        before = [RungInput(r.name, r.supervised, r.in_therapy, r.letters) for r in self.above]
        if rungs != before:
            changes["rungs_above"] = rungs
        return changes


def current_position(ladder: Ladder) -> int:
    return ladder.current_rung.position if ladder.current_rung else 0


class ArrangementForm(forms.Form):
    description = forms.CharField(
        label="The parenting-time arrangement",
        widget=text_area(5),
        help_text="Days, times, hand-overs, and how changes are agreed.",
    )
    effective_on = date_field("In effect from")
