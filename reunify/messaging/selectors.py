"""Reads of conversations, narrowed to who may see them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet

from reunify import access
from reunify.accounts.models import User
from reunify.cases.models import FAMILY_ROLES, Case, Party
from reunify.messaging.models import Message

# A conversation reads oldest first, as it was written.
CONVERSATION_ORDER = ("created_at", "id")


def conversation(party: Party) -> QuerySet[Message]:
    """One family member's conversation with the therapists, oldest first."""
    return (
        Message.objects.filter(party=party)
        .select_related("author", "party__person")
        .order_by(*CONVERSATION_ORDER)
    )


def may_read_conversations(user: User, case: Case) -> bool:
    """The treating therapists only: not supervisors, not monitors, not other parties."""
    return access.can(user, access.Action.EDIT, case)


@dataclass(frozen=True)
class ConversationLine:
    """One family member's conversation as the case page lists it."""

    party: Party
    count: int
    unread: int
    last_at: dt.datetime | None


def case_conversations(user: User, case: Case) -> list[ConversationLine]:
    """Per family member: how many messages, how many unread, the newest; one query."""
    if not may_read_conversations(user, case):
        return []
    rows = {
        row["party_id"]: row
        for row in Message.objects.filter(case=case)
        .values("party_id")
        .annotate(
            n=Count("id"),
            unread=Count("id", filter=Q(from_party=True, read_at__isnull=True)),
            last_at=Max("created_at"),
        )
    }
    lines = []
    for party in case.parties.all():
        if party.role in FAMILY_ROLES:
            row = rows.get(party.pk, {})
            lines.append(
                ConversationLine(party, row.get("n", 0), row.get("unread", 0), row.get("last_at"))
            )
    return lines
