"""The forms of the report pages: they parse input; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from reunify.cases.forms import DateInput, text_area
from reunify.cases.models import Party
from reunify.documents.services import size_words


class RecipientsField(forms.ModelMultipleChoiceField):
    """The legal parties a release or court order lets the report go to, by name and role."""

    def label_from_instance(self, obj: Any) -> str:
        organisation = f", {obj.organisation}" if obj.organisation else ""
        return f"{obj.person.full_name} ({obj.get_role_display().lower()}{organisation})"


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
    recipients = RecipientsField(
        label=_("Provide it to"),
        queryset=Party.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The legal parties whose release of information or court order covers court "
            "reports today. Untick one to leave them out; with none ticked the report is kept "
            "in the case record only."
        ),
    )

    def __init__(self, *args: Any, covered: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = [party.pk for party in covered]
        field = self.fields["recipients"]
        field.queryset = Party.objects.filter(pk__in=ids).select_related("person")  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("recipients", ids)


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
