"""The staff side of the portal, in the API: a case's invitations, sending one, ending a
party's portal access, and the treating therapists' conversations with family members. The
same services as the pages; another family's objects are 404.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from reunify import access
from reunify.access import Action
from reunify.accounts.models import User
from reunify.cases.api import READ_ERRORS, WRITE_ERRORS, ContactRule, case_to_change, case_to_read
from reunify.cases.models import Case, Party
from reunify.disclosure.api import party_in_case
from reunify.messaging import selectors as messaging_selectors
from reunify.messaging.models import Message
from reunify.messaging.services import message_reply, messages_mark_read
from reunify.paging import Page, paged
from reunify.portal.models import Invitation
from reunify.portal.schemas import InvitationIn, InvitationOut, MessageIn, MessageOut
from reunify.portal.services import invitation_create, portal_access_revoke

router = Router(tags=["portal"])


# Invitations and portal access ----------------------------------------------------------------


def _invitations(user: User, case: Case, page: Page | None = None) -> list[InvitationOut]:
    """The case's invitations, newest first: a page of them, or (after a write) all."""
    rule = ContactRule(user, case)
    invitations = Invitation.objects.filter(case=case).select_related(
        "party__person", "accepted_by"
    )
    rows = page.rows(invitations, order=("-created_at", "-id")) if page else invitations
    return [InvitationOut.of(i, show_email=rule.shows(i.party.person)) for i in rows]


@router.get("/cases/{id}/invitations", response={200: list[InvitationOut], **READ_ERRORS})
@paged
def invitation_list(request: HttpRequest, id: int, page: Page) -> list[InvitationOut]:
    """Every invitation into the portal, newest first, and whether it was accepted."""
    user, case = case_to_read(request, id, "invitation_list")
    return _invitations(user, case, page)


@router.post("/cases/{id}/invitations", response={201: InvitationOut, **WRITE_ERRORS})
def invitation_send(
    request: HttpRequest, id: int, payload: InvitationIn
) -> tuple[int, InvitationOut]:
    """Invite a party into the portal: a single-use link by e-mail that expires."""
    user, case = case_to_change(request, id)
    party = party_in_case(case, payload.party_id)
    email = payload.email if payload.email is not None else party.person.email
    if not (email or "").strip():
        raise ValidationError(
            f"{party.person.full_name} has no e-mail address on record: give one."
        )
    invitation = invitation_create(
        actor=user,
        case=case,
        party=party,
        email=email,
        portal_url=request.build_absolute_uri("/"),
    )
    return 201, InvitationOut.of(invitation, show_email=True)


@router.post(
    "/cases/{id}/parties/{party_id}/portal-access/revoke",
    response={200: list[InvitationOut], **WRITE_ERRORS},
)
def portal_access_end(request: HttpRequest, id: int, party_id: int) -> list[InvitationOut]:
    """End a party's portal access to this case at once."""
    user, case = case_to_change(request, id)
    portal_access_revoke(actor=user, party=party_in_case(case, party_id))
    return _invitations(user, case)


# Conversations (treating therapists only) ------------------------------------------------------


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.pk,
        party_id=message.party_id,
        from_party=message.from_party,
        author=message.author.display_name,
        body=message.body,
        created_at=message.created_at,
        read_at=message.read_at,
    )


def _conversation_party(request: HttpRequest, id: int, party_id: int) -> tuple[User, Party]:
    user, case = case_to_read(request, id, f"messages party {party_id}")
    if not messaging_selectors.may_read_conversations(user, case):
        access.require(user, Action.EDIT, case)
    return user, get_object_or_404(
        Party.objects.select_related("person", "case"), case=case, pk=party_id
    )


@router.get(
    "/cases/{id}/parties/{party_id}/messages", response={200: list[MessageOut], **WRITE_ERRORS}
)
@paged
def conversation_get(request: HttpRequest, id: int, party_id: int, page: Page) -> list[MessageOut]:
    """One family member's conversation with the treating therapists (they alone may read it),
    oldest first; the family member's messages count as read once the last page is fetched."""
    _, party = _conversation_party(request, id, party_id)
    messages = page.rows(
        messaging_selectors.conversation(party), order=messaging_selectors.CONVERSATION_ORDER
    )
    thread = [message_out(m) for m in messages]
    if page.next_cursor is None:
        messages_mark_read(party=party, by_party=False)
    return thread


@router.post("/cases/{id}/parties/{party_id}/messages", response={201: MessageOut, **WRITE_ERRORS})
def conversation_reply(
    request: HttpRequest, id: int, party_id: int, payload: MessageIn
) -> tuple[int, MessageOut]:
    user, party = _conversation_party(request, id, party_id)
    return 201, message_out(message_reply(actor=user, party=party, body=payload.body))
