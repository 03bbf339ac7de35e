from django.conf import settings
from django.db import models


class Message(models.Model):
    """One message in the conversation between a family member and the treating therapists."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="messages")
    party = models.ForeignKey(
        "cases.Party",
        on_delete=models.PROTECT,
        related_name="messages",
        help_text="The family member whose conversation this is.",
    )
    from_party = models.BooleanField(
        help_text="Written by the family member (otherwise by a treating therapist)."
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["party", "created_at"])]

    def __str__(self) -> str:
        return f"Message {self.pk} in the conversation of {self.party_id}"
