"""The portal's forms: choosing a password from an invitation, writing a message, and turning a
second factor off."""

from __future__ import annotations

from typing import Any

from django import forms

from reunify.cases.forms import text_area


class AcceptForm(forms.Form):
    """A new password (twice), or the password of the portal account the e-mail already has."""

    password = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; not a common password, not only digits, and not "
        "like your name or e-mail address.",
    )
    password_again = forms.CharField(
        label="The same password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, again = data.get("password"), data.get("password_again")
        if first and again and first != again:
            self.add_error("password_again", "The two passwords are not the same.")
        return data


class ExistingAccountForm(forms.Form):
    password = forms.CharField(
        label="Your portal password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class TurnOffForm(forms.Form):
    """Turning a second factor off: the password and a code; an open session is not enough."""

    password = forms.CharField(
        label="Your portal password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label="Code from your authenticator app, or a recovery code",
        max_length=40,
        strip=True,
        help_text="The six digits the app shows now for Reunify, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        help_text="The invitation link goes to this address; it works once, for a limited time.",
    )


class ReplyForm(forms.Form):
    """A treating therapist's reply in a family member's conversation."""

    body = forms.CharField(label="Message", widget=text_area(4), max_length=5000)
