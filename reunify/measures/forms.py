"""The forms of the measures pages: they parse and shape input; the services decide what is
valid, and their `ValidationError` is shown on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reunify.accounts.models import LicenceType, TrainingArea
from reunify.cases.forms import PartyChoiceField, date_field, parties_of, text_area
from reunify.cases.models import FAMILY_ROLES, Party, PartyRole
from reunify.measures import questionnaires
from reunify.measures.models import (
    STAKEHOLDER_ROLES,
    Alignment,
    LastVisit,
    Stakeholder,
    StandardGoal,
    WillingnessLevel,
    stakeholder_label,
)


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def zero_to_ten(
    label: str, help_text: str = "", low: str = "not at all", high: str = "completely"
) -> forms.TypedChoiceField:
    """0 to 10 as radio buttons, the two ends named in words."""
    words = {0: f"0 — {low}", 10: f"10 — {high}"}
    return forms.TypedChoiceField(
        label=label,
        choices=[(str(n), words.get(n, str(n))) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=help_text,
        error_messages={"required": "Choose a number from 0 to 10."},
    )


class GoalForm(forms.Form):
    standard = forms.ChoiceField(
        label="Goal",
        required=False,
        help_text="One of the seven goals of reunification therapy, or a goal of this case's own.",
    )
    title = forms.CharField(
        label="Name of a case-specific goal",
        max_length=160,
        required=False,
        help_text="Only for a goal of this case's own.",
    )
    baseline = zero_to_ten("Baseline", "Where things stand now.", high="fully")
    target = zero_to_ten("Target", "Where the work aims to get to.", high="fully")

    def __init__(self, *args: Any, taken: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standard"].choices = [  # type: ignore[attr-defined]
            ("", "— a goal of this case's own —"),
            *[(value, label) for value, label in StandardGoal.choices if value not in taken],
        ]


class GoalRatingForm(forms.Form):
    value = zero_to_ten("Progress", high="fully reached")
    rated_on = date_field("Rated on")
    note = forms.CharField(label="Note", required=False, widget=text_area(2))


class WillingnessForm(forms.Form):
    party = PartyChoiceField(label="Whose willingness", queryset=Party.objects.none())
    level = forms.ChoiceField(
        label="Willingness to take part",
        choices=WillingnessLevel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose unwilling, ambivalent, open or engaged."},
    )
    rated_on = date_field("Rated on")
    note = forms.CharField(label="Note", required=False, widget=text_area(2))

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties_of(case, FAMILY_ROLES)  # type: ignore[attr-defined]


class AlignmentForm(forms.Form):
    """Who (a part of the support system, or a named professional of the case) and how."""

    who = forms.ChoiceField(label="Who")
    status = forms.ChoiceField(
        label="Aligned with the treatment plan?",
        choices=Alignment.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose aligned, not aligned or unknown."},
    )
    rated_on = date_field("As of")
    note = forms.CharField(label="Note", required=False, widget=text_area(2))

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = list(STAKEHOLDER_ROLES.values())
        self.parties = {
            p.pk: p for p in parties_of(case, tuple(roles)).select_related("represents__person")
        }
        by_role = {role: stake for stake, role in STAKEHOLDER_ROLES.items()}
        choices = [
            (f"party:{p.pk}", _capital(stakeholder_label(by_role[p.role], p)))
            for p in self.parties.values()
        ]
        named = {by_role[p.role] for p in self.parties.values()}
        for stake in Stakeholder:
            if stake != Stakeholder.ATTORNEY and stake not in named:
                choices.append((stake.value, _capital(stakeholder_label(stake, None))))
        self.fields["who"].choices = [("", "— choose —"), *choices]  # type: ignore[attr-defined]

    def rating_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        who = data.pop("who")
        if who.startswith("party:"):
            party = self.parties[int(who.split(":", 1)[1])]
            by_role = {role: stake for stake, role in STAKEHOLDER_ROLES.items()}
            return {**data, "stakeholder": by_role[party.role], "party": party}
        return {**data, "stakeholder": who, "party": None}


class CheckinForm(forms.Form):
    """The child's check-in, in words a child can answer; the same form on the portal."""

    ready = zero_to_ten("How ready do you feel to see your parent?")
    safe = zero_to_ten("How safe do you feel right now?", low="not safe at all")
    feels_unsafe = forms.BooleanField(
        label=_("I don't feel safe"),
        required=False,
        help_text=_("Your therapist will see this straight away."),
    )
    last_visit = forms.ChoiceField(
        label="How did the last visit feel?",
        choices=LastVisit.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the last visit felt, or that there was none."},
    )
    slow_down = forms.BooleanField(
        label="I want to slow down",
        required=False,
        help_text="Your therapist will see this straight away and talk with you about it.",
    )
    words = forms.CharField(
        label="Anything else you want your therapist to know?",
        required=False,
        widget=text_area(4),
        max_length=4000,
    )


class StaffCheckinForm(CheckinForm):
    """The therapist records the child's answers in session: which child, too."""

    child = PartyChoiceField(label="Child", queryset=Party.objects.none())

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = parties_of(case, (PartyRole.CHILD,))  # type: ignore[attr-defined]
        self.order_fields(["child"])


class ResponseStartForm(forms.Form):
    """Step one of recording a questionnaire: which instrument, who answered, when."""

    informant = forms.ChoiceField(label="Who answered")
    answered_on = date_field("Answered on")

    def __init__(self, *args: Any, case: Any, definition: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", "— choose —")]
        parties = parties_of(case, FAMILY_ROLES)
        for informant in definition.informants:
            if informant == questionnaires.THERAPIST:
                choices.append(("therapist", "The therapist (your own rating)"))
            for party in parties:
                if party.role == informant:
                    choices.append(
                        (
                            f"party:{party.pk}",
                            f"{party.person.full_name} — {party.get_role_display()}",
                        )
                    )
        self.fields["informant"].choices = choices  # type: ignore[attr-defined]
        self.parties = {p.pk: p for p in parties}
        self.definition = definition
        for item in definition.items:
            self.fields[f"item_{item.id}"] = forms.TypedChoiceField(
                label=item.text,
                choices=[(str(o.value), f"{o.label} ({o.value})") for o in item.scale.options],
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
                help_text="Leave it unanswered if the informant skipped it.",
            )

    def informant_and_party(self) -> tuple[str, Any]:
        who = self.cleaned_data["informant"]
        if who.startswith("party:"):
            party = self.parties[int(who.split(":", 1)[1])]
            return party.role, party
        return who, None

    def answers(self) -> dict[str, int | None]:
        return {item.id: self.cleaned_data.get(f"item_{item.id}") for item in self.definition.items}

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"item_{item.id}"] for item in self.definition.items]


class InstrumentImportForm(forms.Form):
    file = forms.FileField(
        label="Instrument file (JSON or YAML)",
        required=False,
        help_text="In the reunify-instrument/1 format described on this page.",
    )
    text = forms.CharField(
        label="Or paste its text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
    )

    MAX_BYTES = 512 * 1024

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            if upload.size > self.MAX_BYTES:
                self.add_error("file", "The file is larger than 512 KB; an instrument is text.")
                return data
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", "The file is not UTF-8 text (JSON or YAML).")
                return data
            data["filename"] = upload.name
        elif not (data.get("text") or "").strip():
            raise forms.ValidationError("Choose a file, or paste the instrument's text.")
        else:
            data["filename"] = ""
        return data


class QualificationForm(forms.Form):
    licence_type = forms.ChoiceField(label="Licence", choices=LicenceType.choices)
    licence_other = forms.CharField(
        label="Name of the licence", required=False, max_length=120, help_text="Only for “other”."
    )
    licence_number = forms.CharField(label="Licence number", max_length=40)
    licence_state = forms.CharField(label="Issuing state", max_length=40)
    licence_expires_on = date_field("Expires on", today=False)
    training_areas = forms.MultipleChoiceField(
        label="Training",
        choices=TrainingArea.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick each area the clinician is trained in.",
    )
