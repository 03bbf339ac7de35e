"""The forms of the library and of a case's modules: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from reunify.cases.forms import PartyChoiceField, date_field, parties_of, text_area
from reunify.cases.models import Party
from reunify.psychoeducation.models import FAMILY_ROLES, Language, Module, Topic


class ModuleForm(forms.Form):
    topic = forms.ChoiceField(label="Topic", choices=[("", "— choose —"), *Topic.choices])
    title = forms.CharField(label="Title", max_length=160)
    summary = forms.CharField(
        label="Summary",
        max_length=300,
        widget=text_area(2),
        help_text="One or two sentences: what the reader will take away.",
    )
    body = forms.CharField(
        label="Text",
        widget=text_area(18),
        help_text="Plain words for parents and young people. Leave an empty line between "
        "paragraphs.",
    )
    language = forms.ChoiceField(label="Language", choices=Language.choices)
    active = forms.BooleanField(
        label="In use: therapists may assign it",
        required=False,
        initial=True,
        help_text="Untick to retire the module; families who already have it keep it.",
    )

    @classmethod
    def of(cls, module: Module) -> ModuleForm:
        return cls(initial={name: getattr(module, name) for name in cls.base_fields})


class ModuleChoiceField(forms.ModelChoiceField):
    """A module in use, shown with its topic and language."""

    def label_from_instance(self, obj: Module) -> str:
        return f"{obj.title} — {obj.get_topic_display()} ({obj.get_language_display()})"


class ModuleAssignForm(forms.Form):
    party = PartyChoiceField(
        label="For",
        queryset=Party.objects.none(),
        error_messages={"invalid_choice": "Choose a family member of this case."},
    )
    module = ModuleChoiceField(
        label="Module",
        queryset=Module.objects.none(),
        help_text="Only modules in use appear here; the library lists them all.",
        error_messages={"invalid_choice": "Choose a module that is in use in the library."},
    )

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties_of(case, FAMILY_ROLES)  # type: ignore[attr-defined]
        self.fields["module"].queryset = Module.objects.active().order_by(  # type: ignore[attr-defined]
            "topic", "language", "title", "id"
        )


class ModuleCompleteForm(forms.Form):
    completed_on = date_field("Completed on")
