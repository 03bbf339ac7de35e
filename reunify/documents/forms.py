"""The upload form: it parses the request; the service decides whether the file is acceptable."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from reunify.documents.models import DocumentKind
from reunify.documents.services import size_words

ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of document", choices=DocumentKind.choices, widget=forms.RadioSelect
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="How the document is listed on the case, e.g. “Minute order of 12 March”.",
    )
    file = forms.FileField(
        label="File",
        # An empty file reaches the service, whose message says what to do about it.
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = size_words(settings.REUNIFY_MAX_UPLOAD_BYTES)
        self.fields["file"].help_text = f"A PDF, PNG or JPEG file of at most {limit}."
