from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Practice administrator"
    THERAPIST = "therapist", "Therapist"
    SUPERVISOR = "supervisor", "Clinical supervisor"
    MONITOR = "monitor", "Visit monitor"
    PORTAL = "portal", "Portal user (a family member or legal party)"


# The practice's own people; portal users are the family and the professionals around it.
STAFF_ROLES = (Role.ADMIN, Role.THERAPIST, Role.SUPERVISOR, Role.MONITOR)


class User(AbstractUser):
    """A member of the practice's staff who signs in to Reunify."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.THERAPIST)
    supervisor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervisees",
        limit_choices_to={"role": Role.SUPERVISOR},
    )
    session_generation = models.PositiveIntegerField(
        default=0,
        help_text="Raised to end every open session of this user at its next request.",
    )

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 is kept, so the table alone is useless."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.username})"


class SecondFactor(models.Model):
    """A user's authenticator app (TOTP); its secret is encrypted and shown only while enrolling."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="second_factor")
    secret_sealed = models.TextField(help_text="The TOTP secret, encrypted with the secret key.")
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(
        null=True, blank=True, help_text="The newest 30-second step used; older codes are refused."
    )
    is_demo = models.BooleanField(
        default=False, help_text="A demo account's factor, whose code `reunify totp code` prints."
    )

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "enrolling"
        return f"second factor of {self.user.username} ({state})"


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator app; only its SHA-256 is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.user.username}"


class EnrolmentCodeQuerySet(models.QuerySet["EnrolmentCode"]):
    def usable(self, now: dt.datetime) -> EnrolmentCodeQuerySet:
        return self.filter(used_at__isnull=True, expires_at__gt=now)


class EnrolmentCode(models.Model):
    """The one-time code an administrator hands a staff member, without which no authenticator
    app can be set up for the account; only its keyed hash is kept, and a new one replaces it."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="enrolment_code")
    code_hash = models.CharField(max_length=64)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(
        null=True, blank=True, help_text="When the authenticator app set up with it was confirmed."
    )

    objects = EnrolmentCodeQuerySet.as_manager()

    def __str__(self) -> str:
        state = "used" if self.used_at else f"until {self.expires_at:%Y-%m-%d %H:%M}"
        return f"enrolment code of {self.user.username} ({state})"


class LoginStage(models.TextChoices):
    PASSWORD = "password", "Password"
    CODE = "code", "Second factor"
    ENROLMENT = "enrolment", "Enrolment code"


class LoginAttempt(models.Model):
    """One attempt to log in, by account name and address, kept a day to decide lockouts."""

    username = models.CharField(max_length=150, help_text="As typed, in lower case.")
    address = models.CharField(max_length=64)
    stage = models.CharField(max_length=10, choices=LoginStage.choices)
    succeeded = models.BooleanField(default=False)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"]),
            models.Index(fields=["address", "at"]),
        ]

    def __str__(self) -> str:
        outcome = "succeeded" if self.succeeded else "failed"
        return f"{self.username} from {self.address} {outcome} at {self.at:%Y-%m-%d %H:%M}"


class LockoutScope(models.TextChoices):
    ACCOUNT = "account", "Account"
    ADDRESS = "address", "Address"


class LockoutQuerySet(models.QuerySet["Lockout"]):
    def active(self, now: dt.datetime) -> LockoutQuerySet:
        return self.filter(until__gt=now)

    def for_attempt(self, *, username: str, address: str) -> LockoutQuerySet:
        return self.filter(
            models.Q(scope=LockoutScope.ACCOUNT, key=username.strip().lower()[:150])
            | models.Q(scope=LockoutScope.ADDRESS, key=address)
        )


class Lockout(models.Model):
    """A pause on logging in to one account name, or from one address, after too many failures."""

    scope = models.CharField(max_length=10, choices=LockoutScope.choices)
    key = models.CharField(max_length=150, help_text="The account name or the address.")
    started_at = models.DateTimeField()
    until = models.DateTimeField()

    objects = LockoutQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "until"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} locked until {self.until:%Y-%m-%d %H:%M}"


class LicenceType(models.TextChoices):
    PSYCHOLOGIST = "psychologist", "Licensed psychologist"
    LMFT = "lmft", "Licensed marriage and family therapist (LMFT)"
    LCSW = "lcsw", "Licensed clinical social worker (LCSW)"
    LPC = "lpc", "Licensed professional counselor (LPC)"
    OTHER = "other", "Other licence"


class TrainingArea(models.TextChoices):
    CHILD_DEVELOPMENT = "child_development", "Child development"
    HIGH_CONFLICT = "high_conflict", "High-conflict family dynamics"
    TRAUMA_INFORMED = "trauma_informed", "Trauma-informed care"
    FAMILY_LAW = "family_law", "Family law"


class Qualification(models.Model):
    """A clinician's licence and training; with the licence expired, no new case is theirs."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="qualification")
    licence_type = models.CharField(max_length=20, choices=LicenceType.choices)
    licence_other = models.CharField(
        max_length=120, blank=True, help_text="The name of the licence, for “other”."
    )
    licence_number = models.CharField(max_length=40)
    licence_state = models.CharField(max_length=40, help_text="The state that issued it.")
    licence_expires_on = models.DateField()
    training_areas = models.JSONField(default=list, blank=True)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.licence_label} {self.licence_number} ({self.licence_state})"

    @property
    def licence_label(self) -> str:
        if self.licence_type == LicenceType.OTHER and self.licence_other:
            return self.licence_other
        return LicenceType(self.licence_type).label

    def is_expired(self, today: dt.date) -> bool:
        return self.licence_expires_on < today

    def training_labels(self) -> list[str]:
        return [area.label for area in TrainingArea if area.value in self.training_areas]
