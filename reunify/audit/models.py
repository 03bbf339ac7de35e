from django.conf import settings
from django.db import models


class Event(models.Model):
    """One thing someone did to or saw of protected information; never changed once written.

    Its `id` is the order it was written in. Its place in the hash chain is its `Link`, added
    by the sealer right after the writing transaction commits (`Pending` until then)."""

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=80)
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    source = models.CharField(help_text="Where it came from: address or 'cli'.", max_length=200)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["case_id", "action", "id"])]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} by {self.actor_label}"


class Pending(models.Model):
    """An event written and committed but not yet sealed into the chain.

    Writers add one with each event, in their own transaction; the sealer links the event and
    deletes this row. The only audit table rows are ever deleted from."""

    # No database constraints on the audit tables' references: the triggers, not foreign
    # keys, keep events from going away, and `verify` names any reference left dangling.
    event = models.OneToOneField(
        Event,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="pending",
    )

    def __str__(self) -> str:
        return f"event {self.event_id} waiting to be sealed"


class Link(models.Model):
    """An event's place in the one chain: its number (1, 2, 3, … with no gap), the hash of the
    link before it, and its own hash over both and the event's content."""

    seq = models.PositiveBigIntegerField(primary_key=True)
    event = models.OneToOneField(
        Event, on_delete=models.DO_NOTHING, db_constraint=False, related_name="link"
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"link #{self.seq} (event {self.event_id})"


class ChainHead(models.Model):
    """The newest link of the chain; a single row that only the sealer locks, so links never
    fork, and that lets `verify` notice links cut off the end."""

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


class Recorded(models.Model):
    """Who put a record on file and when: the staff member (never deleted, so the row is kept)
    and the moment it was saved. The records' models inherit it."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        abstract = True
