from django import forms


class CodeForm(forms.Form):
    """The second step of logging in: a code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=40,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class EnrolCodeForm(CodeForm):
    """Confirming a new authenticator app: only its own six-digit code will do."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=12,
        strip=True,
        help_text="The six digits it shows now for Reunify.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class EnrolmentCodeForm(forms.Form):
    """Before an authenticator app is set up: the one-time code the practice administrator gave."""

    enrolment_code = forms.CharField(
        label="Enrolment code",
        max_length=40,
        strip=True,
        help_text="Ten letters and digits, such as abcde-23456; capitals and spaces do not matter.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
