"""The forms of the case pages: they parse and shape input; the services decide what is valid.

A form checks only what a browser can get wrong (a missing field, a malformed date); every
domain rule lives in the service it calls, whose `ValidationError` the view shows on the form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from reunify.accounts.models import Role, User
from reunify.cases.models import (
    CONSENTING_ROLES,
    Cadence,
    ConsentKind,
    CourtOrder,
    CourtTerm,
    Outcome,
    Party,
    PartyRole,
    Person,
    ReadinessLevel,
    ReferralSource,
    ResumeConditions,
    Scenario,
    TermKind,
)
from reunify.cases.selectors import LookKind
from reunify.cases.services import (
    TermInput,
)
from reunify.safety.models import Contraindication, FindingStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FAMILY_ROLES = (*CONSENTING_ROLES, PartyRole.CHILD, PartyRole.EXTENDED_FAMILY)


class DateInput(forms.DateInput):
    """The browser's own date picker; its value is always an ISO date."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(
    label: StrOrPromise, *, required: bool = True, today: bool = True
) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        initial=timezone.localdate if today else None,
    )


def effective_date_field(label: str | Any = None) -> forms.DateField:
    """The day a change took effect: today unless it is recorded afterwards (the service
    refuses a day in the future, before the referral or before the change it follows)."""
    return forms.DateField(
        label=label or _("Took effect on"),
        required=False,
        widget=DateInput(),
        initial=timezone.localdate,
        help_text=_("The day it happened: today, or an earlier day when you record it afterwards."),
    )


def text_area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class PartyChoiceField(forms.ModelChoiceField):
    """A party of this case, shown by role and name."""

    def label_from_instance(self, obj: Party) -> str:
        return f"{obj.person.full_name} — {obj.get_role_display()}"


def parties_of(case: Any, roles: tuple[str, ...] | None = None) -> Any:
    parties = Party.objects.filter(case=case).select_related("person").order_by("id")
    if roles is not None:
        parties = parties.filter(role__in=roles)
    return parties


class CaseOpenForm(forms.Form):
    title = forms.CharField(
        label="Name of the case",
        max_length=120,
        help_text="How the practice refers to the family, e.g. “Rivers family”.",
    )
    referral_source = forms.ChoiceField(label="Referred by", choices=ReferralSource.choices)
    referral_date = date_field("Referral date")
    referral_reason = forms.CharField(label="Reason for referral", widget=text_area(4))
    court_ordered = forms.TypedChoiceField(
        label="Voluntary or court-ordered",
        choices=[("no", "Voluntary"), ("yes", "Court-ordered")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    scenarios = forms.MultipleChoiceField(
        label="Presenting scenarios",
        choices=Scenario.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every one that applies.",
    )
    opened_on = effective_date_field(_("Opened on"))


class PersonDetailsForm(forms.Form):
    """A person's own details, as adding a party and correcting them both ask for them."""

    first_name = forms.CharField(label="First name", max_length=Person.length_of("first_name"))
    last_name = forms.CharField(label="Last name", max_length=Person.length_of("last_name"))
    date_of_birth = date_field("Date of birth", required=False, today=False)
    email = forms.EmailField(label="E-mail", required=False, max_length=Person.length_of("email"))
    phone = forms.CharField(label="Phone", max_length=Person.length_of("phone"), required=False)
    address = forms.CharField(label="Address", required=False, widget=text_area(3))
    workplace = forms.CharField(
        label="Workplace", max_length=Person.length_of("workplace"), required=False
    )
    substitute_address = forms.CharField(
        label="Substitute address",
        required=False,
        max_length=Person.length_of("substitute_address"),
        widget=text_area(3),
        help_text="For a protected party: the address-confidentiality programme's substitute "
        "address, shown instead of the real one to anyone else who may see the case.",
    )
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    preferred_language = forms.CharField(
        label="Preferred language",
        max_length=Person.length_of("preferred_language"),
        required=False,
    )


class PersonForm(PersonDetailsForm):
    """Correct a party's details, prefilled with what is on record; protection is changed on
    the case page, and a substitute address is asked for only while the person is protected."""

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {name: getattr(person, name) for name in PersonDetailsForm.base_fields}
        )
        super().__init__(*args, **kwargs)
        if not person.protected_address:
            del self.fields["substitute_address"]


class PartyForm(PersonDetailsForm):
    field_order = [
        "role",
        "first_name",
        "last_name",
        "date_of_birth",
        "email",
        "phone",
        "address",
        "workplace",
        "protected_address",
        "substitute_address",
    ]

    role = forms.ChoiceField(label="Role in this case", choices=PartyRole.choices)
    protected_address = forms.BooleanField(
        label="Protected address",
        required=False,
        help_text="Domestic-violence or address-confidentiality programme: the contact details "
        "(e-mail, phone, address, workplace) are shown to the treating therapists only.",
    )
    organisation = forms.CharField(
        label="Organisation",
        max_length=120,
        required=False,
        help_text="For a professional: law firm, agency, school or court.",
    )
    represents = PartyChoiceField(
        label="Acts for",
        queryset=Party.objects.none(),
        required=False,
        empty_label="— nobody (not an attorney) —",
        help_text="For an attorney: the party they represent in this case.",
    )

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["represents"].queryset = parties_of(case)  # type: ignore[attr-defined]


class TermForm(forms.Form):
    """One row of a court order's terms; a row left blank is ignored."""

    kind = forms.ChoiceField(
        label="Kind of term", choices=[("", "— none —"), *TermKind.choices], required=False
    )
    until = date_field("Applies until", required=False, today=False)
    due_on = date_field("Report due on", required=False, today=False)
    cadence = forms.ChoiceField(
        label=_("A reporting duty recurs"),
        choices=Cadence.choices,
        initial=Cadence.ONCE,
        required=False,
        help_text=_(
            "Recurring: the next report is due this many weeks or months after the last one "
            "issued (the first on the due date above)."
        ),
    )
    every = forms.IntegerField(label=_("Every (weeks or months)"), required=False, min_value=1)
    text = forms.CharField(label="Wording", required=False, widget=text_area(2))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("kind") and any(data.get(f) for f in ("until", "due_on", "text", "every")):
            self.add_error("kind", "Choose the kind of term, or clear this row.")
        return data

    def term(self) -> TermInput | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        return TermInput(
            kind=data["kind"],
            until=data.get("until"),
            due_on=data.get("due_on"),
            text=data.get("text", ""),
            cadence=data.get("cadence") or Cadence.ONCE,
            every=data.get("every") or 1,
        )


TERM_ROWS = 4


class TermRowsForm(forms.Form):
    """A form that carries rows of court terms (blank rows are ignored)."""

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.term_forms = [TermForm(data, prefix=f"term-{n}") for n in range(1, TERM_ROWS + 1)]
        for number, term_form in enumerate(self.term_forms, start=1):
            term_form.number = number  # type: ignore[attr-defined]

    def is_valid(self) -> bool:
        rows_valid = all([term_form.is_valid() for term_form in self.term_forms])
        return super().is_valid() and rows_valid

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(term_form.errors for term_form in self.term_forms)

    def terms(self) -> list[TermInput]:
        return [term for f in self.term_forms if (term := f.term()) is not None]


class CourtOrderForm(TermRowsForm):
    court = forms.CharField(label="Court", max_length=160)
    court_case_number = forms.CharField(label="Court case number", max_length=60)
    judge = forms.CharField(label="Judge", max_length=120, required=False)
    issued_on = date_field("Issued on")


class TermsChoiceField(forms.MultipleChoiceField):
    """Terms of one order still in force or to come, as checkboxes; cleaned to the terms."""

    widget = forms.CheckboxSelectMultiple

    def offer(self, terms: list[CourtTerm]) -> None:
        self.terms = {str(t.pk): t for t in terms}
        self.choices = [(key, t.describe()) for key, t in self.terms.items()]

    def clean(self, value: Any) -> list[CourtTerm]:
        return [self.terms[key] for key in super().clean(value)]


class CourtOrderEndForm(forms.Form):
    ended_on = date_field(_("No longer applies from"))
    reason = forms.CharField(
        label=_("Why it ended (e.g. the order that ended it)"), widget=text_area(2)
    )


class CourtOrderAmendForm(TermRowsForm):
    effective_on = date_field(_("The amendment applies from"))
    reason = forms.CharField(
        label=_("What the amendment is (e.g. the minute order)"), widget=text_area(2)
    )
    end_terms = TermsChoiceField(label=_("Terms the amendment ends"), required=False)

    def __init__(self, data: Any = None, *, order: CourtOrder, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["end_terms"].offer(open_terms(order))  # type: ignore[attr-defined]


class CourtOrderSupersedeForm(CourtOrderForm):
    replaces = TermsChoiceField(label=_("Terms of the earlier order it replaces"))
    effective_on = date_field(_("Those terms stop applying from"))

    def __init__(self, data: Any = None, *, order: CourtOrder, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["replaces"].offer(open_terms(order))  # type: ignore[attr-defined]


def open_terms(order: CourtOrder) -> list[CourtTerm]:
    return [t for t in order.terms.all() if t.ended_on is None]


class IntakeForm(forms.Form):
    party = PartyChoiceField(label="Held with", queryset=Party.objects.none())
    held_on = date_field("Held on")

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties_of(case, FAMILY_ROLES)  # type: ignore[attr-defined]


class ConsentForm(forms.Form):
    party = PartyChoiceField(label="Signed by", queryset=Party.objects.none())
    kind = forms.ChoiceField(
        label="Document", choices=ConsentKind.choices, widget=forms.RadioSelect
    )
    signed_on = date_field("Signed on")

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties_of(case, CONSENTING_ROLES)  # type: ignore[attr-defined]


class DocumentReviewForm(forms.Form):
    reviewed_on = date_field("Reviewed on")
    none_provided = forms.BooleanField(
        label="No prior evaluations, court documents or CPS input were provided", required=False
    )
    description = forms.CharField(
        label="What was reviewed",
        required=False,
        widget=text_area(4),
        help_text="Prior evaluations, court documents, CPS input. Leave empty only when none "
        "were provided.",
    )


class ReadinessForm(forms.Form):
    party = PartyChoiceField(label="Whose readiness", queryset=Party.objects.none())
    level = forms.ChoiceField(
        label="Readiness for contact", choices=ReadinessLevel.choices, widget=forms.RadioSelect
    )
    rated_on = date_field("Rated on")
    note = forms.CharField(
        label="Note",
        required=False,
        widget=text_area(3),
        help_text="For the child: their readiness in their own words.",
    )

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties_of(case, FAMILY_ROLES)  # type: ignore[attr-defined]


class ScreeningForm(forms.Form):
    """A safety screen: every contraindication answered present, absent or unknown."""

    screened_on = date_field("Screened on")
    note = forms.CharField(label="Note on the screen", required=False, widget=text_area(3))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in Contraindication:
            self.fields[f"{item.value}_status"] = forms.ChoiceField(
                label=item.label,
                choices=FindingStatus.choices,
                widget=forms.RadioSelect,
                error_messages={"required": "Answer present, absent or unknown."},
            )
            self.fields[f"{item.value}_note"] = forms.CharField(
                label=f"Note on “{item.label}”",
                required=False,
                widget=text_area(2),
                help_text="Required when present: describe what was found.",
            )

    def items(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (item.label, self[f"{item.value}_status"], self[f"{item.value}_note"])
            for item in Contraindication
        ]

    def findings(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {
            item.value: (data[f"{item.value}_status"], data.get(f"{item.value}_note", ""))
            for item in Contraindication
        }


class OverrideRequestForm(forms.Form):
    rationale = forms.CharField(
        label="Clinical rationale",
        widget=text_area(5),
        help_text="Why moving on serves the child despite the readiness reasons above. "
        "Your clinical supervisor must co-sign it.",
    )


class OverrideDecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Co-sign"), ("decline", "Decline")],
        error_messages={"required": "Choose to co-sign or to decline."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        widget=text_area(2),
        help_text="Required when you decline: say why.",
    )


def court_reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for the court (optional)"),
        required=False,
        max_length=1000,
        widget=text_area(2),
        help_text=_(
            "Court reports print only this, never the clinical reason. Left blank, they say "
            "that contact was paused for safety, and when."
        ),
    )


class AdvanceForm(forms.Form):
    effective_on = effective_date_field(_("Moved on"))


class PauseForm(forms.Form):
    reason = forms.CharField(label="Reason for the pause", widget=text_area(3))
    court_reason = court_reason_field()
    effective_on = effective_date_field(_("Paused on"))


class PauseCourtReasonForm(forms.Form):
    court_reason = court_reason_field()


class ResumeForm(forms.Form):
    conditions = forms.MultipleChoiceField(
        label="Conditions met",
        choices=ResumeConditions.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Name the conditions that have been met before resuming."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        widget=text_area(3),
        help_text="Required for “Other”. Resuming also needs a fresh, clear safety screen.",
    )
    effective_on = effective_date_field(_("Resumed on"))


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "— choose —"), *Outcome.choices])
    reason = forms.CharField(
        label="Reason for closing",
        widget=text_area(3),
        help_text="Written into the case file with the outcome.",
    )
    effective_on = effective_date_field(_("Closed on"))


class LookFilterForm(forms.Form):
    """Narrows a case's "who looked" listing: a person, a date range, a kind."""

    person = forms.TypedChoiceField(label=_("Person"), required=False, coerce=int, empty_value=None)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person, kind = self.fields["person"], self.fields["kind"]
        assert isinstance(person, forms.ChoiceField) and isinstance(kind, forms.ChoiceField)
        person.choices = [("", _("Everyone")), *people]
        kind.choices = [
            ("", _("Every look (views, downloads, disclosures)")),
            *LookKind.choices,
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The “From” date must not be after the “To” date."))
        return data


class ClinicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class CoTherapistForm(forms.Form):
    user = ClinicianChoiceField(
        label=gettext_lazy("Clinician"),
        queryset=User.objects.none(),
        empty_label=gettext_lazy("— choose —"),
        error_messages={"required": gettext_lazy("Choose the clinician to add.")},
    )

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every active clinician not already treating; the service names any other obstacle
        # (an expired licence, the case's evaluator) in words.
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(role__in=(Role.THERAPIST, Role.SUPERVISOR), is_active=True)
            .exclude(pk=case.therapist_id)
            .exclude(pk__in=case.co_therapists.values("pk"))
            .order_by("last_name", "first_name", "username")
        )
