from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from reunify.audit.models import Recorded


class Category(models.TextChoices):
    ATTENDANCE = "attendance", "Attendance"
    PROGRESS = "progress", "Phase and progress summary"
    COURT_REPORTS = "court_reports", "Court reports"
    DOCUMENTS = "documents", "Documents"
    SUBSTANCE_USE = "substance_use", "Substance-use information"


# The notice that must travel with any disclosure carrying substance-use information
# (the wording follows the federal confidentiality rule for substance-use records).
REDISCLOSURE_NOTICE = (
    "This record contains information about substance use that is protected by federal "
    "confidentiality rules (42 CFR part 2). Those rules prohibit you from making any further "
    "disclosure of it unless further disclosure is expressly permitted by the written consent "
    "of the person to whom it pertains or as otherwise permitted by 42 CFR part 2. A general "
    "authorisation for the release of medical or other information is NOT sufficient for this "
    "purpose. The federal rules restrict any use of the information to investigate or prosecute "
    "with regard to a crime any patient with a substance-use disorder."
)


class Release(Recorded):
    """Permission for one recipient to see some categories of a case's record until a date:
    signed by a family member, or compelled by a court order."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="releases")
    recipient = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="releases")
    granted_by = models.ForeignKey(
        "cases.Party",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="releases_granted",
        help_text="The family member who signed the release.",
    )
    court_order = models.ForeignKey(
        "cases.CourtOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="releases",
        help_text="The court order that compels the disclosure, instead of a signature.",
    )
    categories = models.JSONField(default=list)
    purpose = models.CharField(max_length=200)
    granted_on = models.DateField()
    expires_on = models.DateField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-granted_on", "-id"]

    def __str__(self) -> str:
        return f"Release {self.pk} to {self.recipient}"

    @property
    def basis(self) -> str:
        """In words: what authorises this release."""
        if self.court_order is not None:
            return f"court order {self.court_order.number}"
        assert self.granted_by is not None
        return f"release signed by {self.granted_by.person.full_name} on {self.granted_on}"

    def in_force(self, today: dt.date) -> bool:
        return self.revoked_at is None and self.granted_on <= today <= self.expires_on

    def covers(self, category: str, today: dt.date) -> bool:
        return self.in_force(today) and category in self.categories


class Channel(models.TextChoices):
    PORTAL_VIEW = "portal_view", "Viewed in the portal"
    DOWNLOAD = "download", "Downloaded"
    EXPORT = "export", "Exported"
    REPORT = "report", "Report issued"


class Disclosure(models.Model):
    """One disclosure from the record: when, to whom, what, why, and what authorised it."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.ForeignKey(
        "cases.Party", on_delete=models.PROTECT, related_name="disclosures_received"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    description = models.CharField(max_length=300)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=200)
    release = models.ForeignKey(
        Release, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    carries_substance_use = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.description} to {self.recipient}"


class Restriction(models.Model):
    """The therapist's restriction of a parent's access to the child's information, on a
    reasonable belief of abuse or danger; in force until lifted."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="restrictions")
    party = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="restrictions")
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Restriction of {self.party}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None


class DocumentShare(models.Model):
    """A document the therapist has shared with one family member of the case."""

    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, related_name="shares"
    )
    party = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="shares")
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    shared_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shared_at", "-id"]

    def __str__(self) -> str:
        return f"{self.document} shared with {self.party}"
