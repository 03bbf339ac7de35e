"""Writes of messages: a family member writing to the therapists from the portal, and a treating
therapist's reply. Each is atomic and audited; the audit row never holds the message's words."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reunify import access
from reunify.accounts.models import User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.cases.models import FAMILY_ROLES, Party
from reunify.disclosure.services import is_restricted
from reunify.messaging.models import Message

MAX_LENGTH = 5000


def _body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError("Write a message before sending it.")
    if len(body) > MAX_LENGTH:
        raise ValidationError(
            f"The message is {len(body):,} characters long; {MAX_LENGTH:,} is the most."
        )
    return body


def _conversation_party(party: Party) -> None:
    if party.role not in FAMILY_ROLES:
        raise ValidationError(
            "Messages are between the treating therapists and the family members of a case."
        )
    if party.case.is_closed:
        raise ValidationError("This case is closed; its conversations are read-only.")


@transaction.atomic
def message_send_to_therapist(*, actor: User, party: Party, body: str) -> Message:
    """A family member writes to the treating therapists, as a party they act as in the portal."""
    party = access.portal_party_get(actor, party.pk)
    _conversation_party(party)
    if is_restricted(party):
        raise PermissionDenied("Your access to this case is restricted.")
    message = Message.objects.create(
        case_id=party.case_id,
        party=party,
        from_party=True,
        author=actor,
        body=_body(body),
        created_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.MESSAGE_SEND,
        case_id=party.case_id,
        obj=message,
        detail={"party": party.pk, "length": len(message.body)},
    )
    return message


@transaction.atomic
def message_reply(*, actor: User, party: Party, body: str) -> Message:
    """A treating therapist writes to one family member (never a supervisor or a monitor)."""
    access.require(actor, access.Action.EDIT, party.case)
    _conversation_party(party)
    message = Message.objects.create(
        case_id=party.case_id,
        party=party,
        from_party=False,
        author=actor,
        body=_body(body),
        created_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.MESSAGE_REPLY,
        case_id=party.case_id,
        obj=message,
        detail={"party": party.pk, "length": len(message.body)},
    )
    return message


def messages_mark_read(*, party: Party, by_party: bool) -> int:
    """Mark the other side's messages in a party's conversation as read, now."""
    return Message.objects.filter(
        party=party, from_party=not by_party, read_at__isnull=True
    ).update(read_at=timezone.now())
