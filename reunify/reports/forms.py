"""The forms of the report pages: they parse input; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from reunify.cases.forms import DateInput, text_area
from reunify.documents.services import size_words


class ReportIssueForm(forms.Form):
    start = forms.DateField(label="First day of the period", widget=DateInput())
    end = forms.DateField(label="Last day of the period", widget=DateInput())
    summary = forms.CharField(
        label="Your summary",
        widget=text_area(6),
        help_text="Signed with the report. Describe attendance and progress in plain words; "
        "a report never gives an opinion on custody or parenting time.",
    )
    substance_use = forms.BooleanField(
        label="The summary mentions substance use",
        required=False,
        help_text="The report then goes only to recipients whose release also covers "
        "substance-use information, and carries the redisclosure notice.",
    )


class VerifyForm(forms.Form):
    file = forms.FileField(
        label="The PDF you received",
        required=False,
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ".pdf,application/pdf"}),
    )
    sha256 = forms.CharField(
        label="Or its SHA-256 fingerprint",
        required=False,
        max_length=200,
        help_text="64 characters, 0-9 and a-f, as printed by `sha256sum` or shown by the sender.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = size_words(settings.REUNIFY_MAX_UPLOAD_BYTES)
        self.fields["file"].help_text = f"A PDF of at most {limit}; it is not kept."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_file = data.get("file") is not None
        has_hash = bool((data.get("sha256") or "").strip())
        if has_file == has_hash:
            raise forms.ValidationError(
                "Upload the PDF, or paste its SHA-256 fingerprint: one of the two."
            )
        return data
