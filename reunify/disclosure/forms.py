"""The forms of the portal-and-disclosure pages: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from reunify.cases.forms import PartyChoiceField, date_field, parties_of, text_area
from reunify.cases.models import (
    CONSENTING_ROLES,
    FAMILY_ROLES,
    LEGAL_ROLES,
    PARENT_ROLES,
    CourtOrder,
    Party,
)
from reunify.disclosure.models import Category


class CourtOrderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CourtOrder) -> str:
        return f"Court order {obj.number} ({obj.court_case_number}, issued {obj.issued_on})"


class ReleaseForm(forms.Form):
    recipient = PartyChoiceField(
        label="Released to",
        queryset=Party.objects.none(),
        help_text="An attorney, the guardian ad litem, the court, CPS or the school.",
    )
    granted_by = PartyChoiceField(
        label="Signed by",
        queryset=Party.objects.none(),
        required=False,
        help_text="The parent or guardian who signed the release. Leave empty for a court order.",
    )
    court_order = CourtOrderChoiceField(
        label="Or compelled by",
        queryset=CourtOrder.objects.none(),
        required=False,
        empty_label="No court order",
    )
    categories = forms.MultipleChoiceField(
        label="What may be released",
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Substance-use information is released only when named here.",
    )
    purpose = forms.CharField(label="Purpose", max_length=200)
    granted_on = date_field("Signed or ordered on")
    expires_on = date_field("Expires on", today=False)

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = parties_of(case, LEGAL_ROLES)  # type: ignore[attr-defined]
        self.fields["granted_by"].queryset = parties_of(case, CONSENTING_ROLES)  # type: ignore[attr-defined]
        self.fields["court_order"].queryset = CourtOrder.objects.filter(case=case)  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", widget=text_area(3))


class RestrictionForm(forms.Form):
    party = PartyChoiceField(label="Whose access", queryset=Party.objects.none())
    reason = forms.CharField(
        label="Reason",
        widget=text_area(4),
        help_text="The reasonable belief of abuse or danger behind the restriction. Kept in the "
        "record; the parent is told only that their access is restricted.",
    )

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties_of(case, PARENT_ROLES)  # type: ignore[attr-defined]


class ShareForm(forms.Form):
    party = PartyChoiceField(label="Share with", queryset=Party.objects.none())

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties_of(case, FAMILY_ROLES)  # type: ignore[attr-defined]
