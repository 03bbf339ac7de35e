from django.conf import settings
from django.db import models


class DocumentKind(models.TextChoices):
    COURT_ORDER = "court_order", "Court order"
    PRIOR_EVALUATION = "prior_evaluation", "Prior evaluation"
    CPS_REPORT = "cps_report", "CPS report"
    SIGNED_AGREEMENT = "signed_agreement", "Signed agreement"
    OTHER = "other", "Other"


class Document(models.Model):
    """A file placed in a case's record, such as a court order or a prior custody evaluation."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    original_name = models.CharField(
        max_length=255, help_text="The uploaded file's name, made safe to show and offer back."
    )
    stored_name = models.CharField(
        max_length=64, unique=True, help_text="A random name in the documents folder."
    )
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    substance_use = models.BooleanField(
        default=False,
        help_text="Carries substance-use information: disclosed only under a release that "
        "names that category, and always with the redisclosure notice.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.title
