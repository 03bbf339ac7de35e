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
