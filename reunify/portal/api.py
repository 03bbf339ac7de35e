"""The portal API, for the tokens of family members and legal parties: the same pages as the
portal, the same rules (`reunify.portal.services`), the same disclosures logged. A staff token
is refused here (403); a portal token gets 404 on every staff case endpoint.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from ninja import Router

from reunify import access
from reunify.accounts.models import User
from reunify.cases.api import READ_ERRORS, WRITE_ERRORS, request_user
from reunify.cases.models import FAMILY_ROLES, Party
from reunify.cases.schemas import ErrorOut
from reunify.cases.services import case_view
from reunify.disclosure.services import is_restricted
from reunify.messaging.selectors import CONVERSATION_ORDER, conversation
from reunify.messaging.services import message_send_to_therapist, messages_mark_read
from reunify.paging import Page, paged
from reunify.portal import services
from reunify.portal.schemas import (
    MessageIn,
    PortalMessageOut,
    PortalPartyOut,
    PortalPartyRowOut,
    portal_message_out,
    portal_party_out,
)
from reunify.portal.views import portal_file_response
from reunify.reports import selectors as report_selectors
from reunify.reports import services as report_services
from reunify.reports.views import portal_pdf_response

router = Router(tags=["portal"])

PORTAL_READ_ERRORS = {**READ_ERRORS, 403: READ_ERRORS[401]}


def portal_user(request: HttpRequest) -> User:
    user = request_user(request)
    access.require_portal(user)
    return user


@router.get("/portal/parties", response={200: list[PortalPartyRowOut], **PORTAL_READ_ERRORS})
@paged
def portal_party_list(request: HttpRequest, page: Page) -> list[PortalPartyRowOut]:
    """The parties you act as in the portal, by family name: one per case (and role) you
    were invited to."""
    user = portal_user(request)
    parties = access.portal_parties(user).select_related("case", "represents__person")
    return [PortalPartyRowOut.of(p) for p in page.rows(parties, order=("case__title", "id"))]


@router.get("/portal/parties/{id}", response={200: PortalPartyOut, **PORTAL_READ_ERRORS})
def portal_party_get(request: HttpRequest, id: int) -> PortalPartyOut:
    """What your portal page shows: your profile and sessions; your modules, shared documents
    and messages; or, for a professional, what a release or court order covers (logged)."""
    user = portal_user(request)
    party = access.portal_party_get(user, id)
    return portal_party_out(services.party_page(actor=user, party=party))


@router.get("/portal/documents/{id}/download", response={200: None, **PORTAL_READ_ERRORS})
def portal_document_download(request: HttpRequest, id: int) -> HttpResponseBase:
    """A document shared with you or covered by a release; a substance-use one carries the
    redisclosure notice in the `Redisclosure-Notice` header."""
    user = portal_user(request)
    allowed = services.portal_document_for_user(user, id)
    return portal_file_response(allowed, services.portal_document_open(actor=user, allowed=allowed))


def _conversation_party(user: User, id: int) -> Party:
    party = access.portal_party_get(user, id)
    if party.role not in FAMILY_ROLES or is_restricted(party):
        raise Http404("No such conversation.")
    return party


@router.get(
    "/portal/parties/{id}/messages", response={200: list[PortalMessageOut], **PORTAL_READ_ERRORS}
)
@paged
def portal_messages(request: HttpRequest, id: int, page: Page) -> list[PortalMessageOut]:
    """Your conversation with your therapist (nobody else's), oldest first; your therapist's
    messages count as read once you fetch the last page."""
    user = portal_user(request)
    party = _conversation_party(user, id)
    case_view(actor=user, case=party.case, what="api:portal messages")
    messages = page.rows(conversation(party), order=CONVERSATION_ORDER)
    thread = [portal_message_out(m) for m in messages]
    if page.next_cursor is None:
        messages_mark_read(party=party, by_party=True)
    return thread


@router.post("/portal/parties/{id}/messages", response={201: PortalMessageOut, **WRITE_ERRORS})
def portal_message_send(
    request: HttpRequest, id: int, payload: MessageIn
) -> tuple[int, PortalMessageOut]:
    user = portal_user(request)
    party = _conversation_party(user, id)
    try:
        message = message_send_to_therapist(actor=user, party=party, body=payload.body)
    except PermissionDenied:
        raise Http404("No such conversation.") from None
    return 201, portal_message_out(message)


@router.get(
    "/portal/reports/{id}/pdf",
    response={200: None, 500: ErrorOut, **PORTAL_READ_ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "The issued PDF, exactly as issued, as an attachment; one that "
                "carries substance-use information has the redisclosure notice in the "
                "`Redisclosure-Notice` header.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def portal_report_pdf(request: HttpRequest, id: int) -> HttpResponseBase | tuple[int, ErrorOut]:
    """For a legal party's portal token: a court report issued to you, while a release or court
    order covering court reports is in force; the download is logged as a disclosure."""
    user = portal_user(request)
    allowed = report_selectors.portal_report_for_user(user, id)
    try:
        handle = report_services.portal_report_open(actor=user, allowed=allowed)
    except report_services.IssuedUnavailable as problem:
        return 500, ErrorOut(detail=str(problem))
    return portal_pdf_response(allowed, handle)
