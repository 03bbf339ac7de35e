from django.conf import settings
from django.db import models


class Invitation(models.Model):
    """A single-use, expiring link that lets one party of one case into the portal; once
    accepted it is that person's access to that case, until revoked."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="invitations")
    party = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="portal_invitations",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # When the invitation's e-mail could not be sent (the mail server refused or was down).
    email_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation of {self.party} ({self.email})"
