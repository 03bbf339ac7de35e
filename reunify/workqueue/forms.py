from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

SEARCH_LIMIT = 100


class CaseSearchForm(forms.Form):
    """The caseload's search box (a family, a party's name or a case number) and the page."""

    q = forms.CharField(
        label=_("Search the caseload"),
        required=False,
        max_length=SEARCH_LIMIT,
        help_text=_("A family, a party's name, or a case or court case number."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    # Keyset paging: the page after (or before) this case; the page's links carry them.
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
