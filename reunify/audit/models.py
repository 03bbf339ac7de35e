from django.conf import settings
from django.db import models


class Event(models.Model):
    """One thing someone did to or saw of protected information; never changed once written."""

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=80)
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=200, help_text="Where it came from: address or 'cli'.")
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["case_id", "action", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label}"


class ChainHead(models.Model):
    """The newest link of the chain; a single row locked by each writer so links never fork."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.seq}"


class ListedCase(models.Model):
    """A case that was shown in a list whose viewing one event records (the caseload, …).

    The event's hashed detail names the same case ids; this index lets a case's "who looked"
    find the lists it appeared in without reading every list event's detail."""

    # No database constraint: the triggers, not a foreign key, keep events from going away
    # (and TRUNCATE of the log must meet the trigger's refusal first).
    event = models.ForeignKey(
        Event, on_delete=models.DO_NOTHING, db_constraint=False, related_name="listed_cases"
    )
    case_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["case_id", "event"])]
        constraints = [
            models.UniqueConstraint(fields=["event", "case_id"], name="listed_case_once_per_event")
        ]

    def __str__(self) -> str:
        return f"case {self.case_id} in event {self.event_id}"
