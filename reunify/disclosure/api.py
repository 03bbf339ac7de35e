"""The disclosure API for staff: releases, restrictions, document shares and the substance-use
tag, and each party's accounting of disclosures. The same services as the pages; another
family's objects are 404. Invitations and conversations are the portal's (`portal.staff_api`).
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from ninja import Router

from reunify import access
from reunify.accounts.models import User
from reunify.cases.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    case_to_change,
    case_to_read,
    request_user,
)
from reunify.cases.models import Case, CourtOrder, Party
from reunify.cases.services import case_view
from reunify.disclosure import services
from reunify.disclosure.models import DocumentShare, Release, Restriction
from reunify.disclosure.schemas import (
    DisclosureOut,
    ReasonIn,
    ReleaseIn,
    ReleaseOut,
    RestrictionIn,
    RestrictionOut,
    ShareIn,
    ShareOut,
    SubstanceUseIn,
)
from reunify.documents.models import Document
from reunify.documents.services import document_tag_substance_use
from reunify.paging import Page, paged

router = Router(tags=["disclosure"])

M = TypeVar("M", bound=Model)


def party_in_case(case: Case, party_id: int | None, what: str = "party") -> Party:
    party = (
        Party.objects.select_related("person", "case").filter(case=case, pk=party_id).first()
        if party_id is not None
        else None
    )
    if party is None:
        raise ValidationError(f"There is no {what} {party_id} in this case.")
    return party


def _visible(user: User, queryset: QuerySet[M], pk: int, *, case_path: str = "case") -> M:
    """The object if its case is in the user's sight; 404 otherwise, never confirming it."""
    found = queryset.filter(**{f"{case_path}__in": access.cases_for(user)}, pk=pk).first()
    if found is None:
        raise Http404("Not found.")
    return found


# Releases ---------------------------------------------------------------------------------------


def _releases(case: Case) -> QuerySet[Release]:
    return Release.objects.filter(case=case).select_related(
        "recipient__person", "granted_by__person", "court_order"
    )


@router.get("/cases/{id}/releases", response={200: list[ReleaseOut], **READ_ERRORS})
@paged
def release_list(request: HttpRequest, id: int, page: Page) -> list[ReleaseOut]:
    """Every release of information of the case, in force or not, newest first."""
    _, case = case_to_read(request, id, "release_list")
    return [ReleaseOut.of(r) for r in page.rows(_releases(case), order=("-granted_on", "-id"))]


@router.post("/cases/{id}/releases", response={201: ReleaseOut, **WRITE_ERRORS})
def release_create(request: HttpRequest, id: int, payload: ReleaseIn) -> tuple[int, ReleaseOut]:
    """Record a release signed by a parent or guardian, or compelled by a court order."""
    user, case = case_to_change(request, id)
    court_order = None
    if payload.court_order is not None:
        court_order = CourtOrder.objects.filter(case=case, number=payload.court_order).first()
        if court_order is None:
            raise ValidationError(f"There is no court order {payload.court_order} in this case.")
    release = services.release_grant(
        actor=user,
        case=case,
        recipient=party_in_case(case, payload.recipient_id, "recipient"),
        granted_by=None
        if payload.granted_by_id is None
        else party_in_case(case, payload.granted_by_id, "signer"),
        court_order=court_order,
        categories=[c.value for c in payload.categories],
        purpose=payload.purpose,
        expires_on=payload.expires_on,
        granted_on=payload.granted_on,
    )
    return 201, ReleaseOut.of(_releases(case).get(pk=release.pk))


@router.post("/releases/{id}/revoke", response={200: ReleaseOut, **WRITE_ERRORS})
def release_revoke(request: HttpRequest, id: int, payload: ReasonIn) -> ReleaseOut:
    """Revoke a release at once: from the next request on, nothing is disclosed under it."""
    user = request_user(request)
    release = _visible(user, Release.objects.select_related("case__therapist"), id)
    release = services.release_revoke(actor=user, release=release, reason=payload.reason)
    return ReleaseOut.of(_releases(release.case).get(pk=release.pk))


# The accounting of disclosures ----------------------------------------------------------------


@router.get("/parties/{id}/disclosures", response={200: list[DisclosureOut], **READ_ERRORS})
@paged
def disclosure_accounting(request: HttpRequest, id: int, page: Page) -> list[DisclosureOut]:
    """A party's accounting of disclosures, newest first: date, recipient, what, purpose, and
    the release or court order that covered each (for a professional: everything disclosed
    to them)."""
    user = request_user(request)
    party = _visible(user, Party.objects.select_related("person", "case"), id)
    case_view(actor=user, case=party.case, what=f"api:disclosure_accounting party {party.pk}")
    disclosures = services.party_accounting(party)
    return [DisclosureOut.of(d) for d in page.rows(disclosures, order=("-at", "-id"))]


# Restrictions -----------------------------------------------------------------------------------


def _restrictions(case: Case) -> QuerySet[Restriction]:
    return Restriction.objects.filter(case=case).select_related("party__person", "created_by")


@router.get("/cases/{id}/restrictions", response={200: list[RestrictionOut], **READ_ERRORS})
@paged
def restriction_list(request: HttpRequest, id: int, page: Page) -> list[RestrictionOut]:
    """The restrictions of a parent's access, lifted or not, newest first."""
    _, case = case_to_read(request, id, "restriction_list")
    restrictions = page.rows(_restrictions(case), order=("-created_at", "-id"))
    return [RestrictionOut.of(r) for r in restrictions]


@router.post("/cases/{id}/restrictions", response={201: RestrictionOut, **WRITE_ERRORS})
def restriction_create(
    request: HttpRequest, id: int, payload: RestrictionIn
) -> tuple[int, RestrictionOut]:
    """Restrict a parent's access to the child's information, at once, with the reason."""
    user, case = case_to_change(request, id)
    restriction = services.restriction_set(
        actor=user, case=case, party=party_in_case(case, payload.party_id), reason=payload.reason
    )
    return 201, RestrictionOut.of(_restrictions(case).get(pk=restriction.pk))


@router.post("/restrictions/{id}/lift", response={200: RestrictionOut, **WRITE_ERRORS})
def restriction_lift(request: HttpRequest, id: int, payload: ReasonIn) -> RestrictionOut:
    user = request_user(request)
    restriction = _visible(user, Restriction.objects.select_related("case__therapist"), id)
    restriction = services.restriction_lift(
        actor=user, restriction=restriction, reason=payload.reason
    )
    return RestrictionOut.of(_restrictions(restriction.case).get(pk=restriction.pk))


# Documents: shares and the substance-use tag ----------------------------------------------------


def _share_out(share: DocumentShare) -> ShareOut:
    return ShareOut(
        id=share.pk,
        document_id=share.document_id,
        party_id=share.party_id,
        party=share.party.person.full_name,
        shared_at=share.shared_at,
        withdrawn_at=share.withdrawn_at,
    )


def _document(user: User, id: int) -> Document:
    return _visible(user, Document.objects.select_related("case__therapist"), id)


@router.get("/documents/{id}/shares", response={200: list[ShareOut], **READ_ERRORS})
@paged
def share_list(request: HttpRequest, id: int, page: Page) -> list[ShareOut]:
    """The family members a document is (or was) shared with, newest share first."""
    user = request_user(request)
    document = _document(user, id)
    case_view(actor=user, case=document.case, what="api:share_list")
    shares = DocumentShare.objects.filter(document=document).select_related("party__person")
    return [_share_out(s) for s in page.rows(shares, order=("-shared_at", "-id"))]


@router.post("/documents/{id}/shares", response={201: ShareOut, **WRITE_ERRORS})
def share_create(request: HttpRequest, id: int, payload: ShareIn) -> tuple[int, ShareOut]:
    """Share a document with one family member of its case (shown in their portal)."""
    user = request_user(request)
    document = _document(user, id)
    share = services.document_share(
        actor=user, document=document, party=party_in_case(document.case, payload.party_id)
    )
    return 201, _share_out(share)


@router.post("/shares/{id}/withdraw", response={200: ShareOut, **WRITE_ERRORS})
def share_withdraw(request: HttpRequest, id: int) -> ShareOut:
    user = request_user(request)
    share = _visible(
        user,
        DocumentShare.objects.select_related("document__case", "party__person"),
        id,
        case_path="document__case",
    )
    return _share_out(services.document_unshare(actor=user, share=share))


@router.post("/documents/{id}/substance-use", response={200: SubstanceUseIn, **WRITE_ERRORS})
def document_substance_use(
    request: HttpRequest, id: int, payload: SubstanceUseIn
) -> SubstanceUseIn:
    """Tag (or untag) a document as carrying substance-use information."""
    user = request_user(request)
    document = document_tag_substance_use(
        actor=user, document=_document(user, id), substance_use=payload.substance_use
    )
    return SubstanceUseIn(substance_use=document.substance_use)
