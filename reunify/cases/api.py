"""The case API: the same operations as the case pages, as typed django-ninja endpoints.

Every case-scoped route finds its case through `access.case_get` (another family's case is a
404, a forbidden action a 403), every read is written to the audit log through
`services.case_view`, and every write is one call to a service, which validates and audits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from reunify import access
from reunify.access import Action
from reunify.accounts.models import User
from reunify.cases import selectors, services
from reunify.cases.models import (
    Case,
    CourtOrder,
    CourtTerm,
    OverrideRequest,
    Party,
    Person,
    Phase,
    Transition,
    TransitionKind,
)
from reunify.cases.schemas import (
    CaseDetailOut,
    CaseOpenIn,
    CaseRowOut,
    CloseIn,
    ConsentIn,
    ConsentOut,
    CoTherapistIn,
    CoTherapistOut,
    CourtOrderAmendIn,
    CourtOrderEndIn,
    CourtOrderIn,
    CourtOrderOut,
    CourtOrderSupersedeIn,
    DecisionIn,
    DocumentReviewIn,
    DocumentReviewOut,
    ErrorOut,
    GateOut,
    GateRefusalOut,
    InputErrorOut,
    IntakeIn,
    IntakeOut,
    LookOut,
    OverrideIn,
    OverrideOut,
    PartyDetailsIn,
    PartyIn,
    PartyOut,
    PauseCourtReasonIn,
    PauseIn,
    ProtectionIn,
    ReadinessIn,
    ReadinessOut,
    ResumeIn,
    TermIn,
    TimelineEntryOut,
    TransitionIn,
    TransitionOut,
)
from reunify.cases.selectors import LookKind
from reunify.paging import Page, paged
from reunify.process import pausing, transitions
from reunify.process.gates import gate_for, next_phase, with_gate_facts

router = Router(tags=["cases"])

# What the OpenAPI document promises besides success; the handlers live in reunify/api.py.
READ_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: GateRefusalOut,
    422: InputErrorOut,
}


def request_user(request: HttpRequest) -> User:
    """The staff member whose bearer token authenticated this request."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def case_to_read(request: HttpRequest, case_id: int, what: str) -> tuple[User, Case]:
    """The case, if the caller may see it, with the look written to the audit log."""
    user = request_user(request)
    case = access.case_get(user, case_id)
    services.case_view(actor=user, case=case, what=f"api:{what}")
    return user, case


def case_to_change(request: HttpRequest, case_id: int) -> tuple[User, Case]:
    """The case, if the caller may change it (404 when out of sight, 403 when read-only)."""
    user = request_user(request)
    return user, access.case_get(user, case_id, Action.EDIT)


def _party_of(case: Case, party_id: int | None) -> Party:
    party = (
        Party.objects.select_related("person").filter(case=case, pk=party_id).first()
        if party_id is not None
        else None
    )
    if party is None:
        raise ValidationError(f"There is no party {party_id} in this case.")
    return party


def _staff(username: str | None, what: str) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError(f"There is no active staff member {username!r} to be the {what}.")
    return user


class ContactRule:
    """`access.may_see_contact` and `access.may_see_substitute_address` for each party, asked
    once per request for each kind of person.

    The rules turn only on whether a person's address is protected, so two answers cover a
    whole list without a query per row.
    """

    def __init__(self, user: User, case: Case) -> None:
        self.user, self.case = user, case
        self._contact: dict[bool, bool] = {}
        self._substitute: dict[bool, bool] = {}

    def shows(self, person: Person) -> bool:
        key = bool(person.protected_address)
        if key not in self._contact:
            self._contact[key] = access.may_see_contact(self.user, self.case, person)
        return self._contact[key]

    def shows_substitute(self, person: Person) -> bool:
        key = bool(person.protected_address)
        if key not in self._substitute:
            self._substitute[key] = access.may_see_substitute_address(self.user, self.case, person)
        return self._substitute[key]

    def party(self, party: Party) -> PartyOut:
        person = party.person
        return PartyOut.of(
            party, show_contact=self.shows(person), show_substitute=self.shows_substitute(person)
        )


# Caseload and the case ---------------------------------------------------------------------


@router.get("/cases", response={200: list[CaseRowOut], 401: ErrorOut})
@paged
def case_list(
    request: HttpRequest,
    page: Page,
    include_closed: bool = False,
    search: str = Query("", max_length=100),
) -> list[CaseRowOut]:
    """The cases you may see, by family name, with phase, pause, days in phase, next screen
    due and gate; `search` keeps those whose family, a party's name or a case number matches."""
    user = request_user(request)
    access.require_staff(user)
    cases = selectors.caseload_cases(user, include_closed=include_closed, search=search)
    # The page is chosen first: gates are computed, and the look recorded, for its cases only.
    rows = selectors.caseload_rows(page.rows(with_gate_facts(cases), order=("title", "id")))
    services.case_views(actor=user, cases=[row.case for row in rows], what="api:case_list")
    return [CaseRowOut.of(row) for row in rows]


@router.post("/cases", response={201: CaseDetailOut, **WRITE_ERRORS})
def case_create(request: HttpRequest, payload: CaseOpenIn) -> tuple[int, CaseDetailOut]:
    """Open a case in assessment; you are its therapist unless you name another."""
    user = request_user(request)
    case = services.case_open(
        actor=user,
        title=payload.title,
        referral_source=payload.referral_source.value,
        referral_date=payload.referral_date,
        referral_reason=payload.referral_reason,
        court_ordered=payload.court_ordered,
        scenarios=[s.value for s in payload.scenarios],
        therapist=_staff(payload.therapist, "therapist"),
        evaluator=_staff(payload.evaluator, "evaluator"),
        opened_on=payload.opened_on,
    )
    # Loaded without the visibility filter: a case opened for a colleague is theirs to see,
    # but the caller is owed the record of what they just wrote.
    opened = with_gate_facts(Case.objects.filter(pk=case.pk)).prefetch_related("co_therapists")
    return 201, _detail(user, opened.get())


def _detail(user: User, case: Case) -> CaseDetailOut:
    rule = ContactRule(user, case)
    parties = [rule.party(p) for p in case.parties.all()]
    return CaseDetailOut.of(case, parties=parties, gate=gate_for(case))


@router.get("/cases/{id}", response={200: CaseDetailOut, **READ_ERRORS})
def case_get(request: HttpRequest, id: int) -> CaseDetailOut:
    """The case record: referral, parties, court orders and the gate to the next phase."""
    user, case = case_to_read(request, id, "case_detail")
    return _detail(user, selectors.case_detail(user, case.pk))


# Parties -----------------------------------------------------------------------------------


@router.get("/cases/{id}/parties", response={200: list[PartyOut], **READ_ERRORS})
def party_list(request: HttpRequest, id: int) -> list[PartyOut]:
    """The parties; a protected person's contact details only for the treating therapists."""
    user, case = case_to_read(request, id, "party_list")
    rule = ContactRule(user, case)
    return [rule.party(p) for p in case.parties.select_related("person")]


@router.post("/cases/{id}/parties", response={201: PartyOut, **WRITE_ERRORS})
def party_create(request: HttpRequest, id: int, payload: PartyIn) -> tuple[int, PartyOut]:
    """Add a party to the case, or give a person from another of your cases a role here."""
    user, case = case_to_change(request, id)
    person = None
    if payload.person_id is not None:
        person = Person.objects.filter(pk=payload.person_id).first()
        if person is None:
            raise ValidationError(services.PERSON_NOT_REUSABLE)
    party = services.party_add(
        actor=user,
        case=case,
        role=payload.role.value,
        person=person,
        first_name=payload.first_name,
        last_name=payload.last_name,
        date_of_birth=payload.date_of_birth,
        email=payload.email,
        phone=payload.phone,
        address=payload.address,
        workplace=payload.workplace,
        protected_address=payload.protected_address,
        substitute_address=payload.substitute_address,
        interpreter_needed=payload.interpreter_needed,
        preferred_language=payload.preferred_language,
        organisation=payload.organisation,
        represents=None if payload.represents is None else _party_of(case, payload.represents),
    )
    return 201, ContactRule(user, case).party(party)


@router.patch("/cases/{id}/parties/{party_id}", response={200: PartyOut, **WRITE_ERRORS})
def party_update(request: HttpRequest, id: int, party_id: int, payload: PartyDetailsIn) -> PartyOut:
    """Correct a party's details (send only what changes). They are the person's, so the
    correction applies in every case the person takes part in."""
    user, case = case_to_change(request, id)
    party = Party.objects.select_related("person").filter(case=case, pk=party_id).first()
    if party is None:
        raise Http404("No such party.")
    services.person_update(actor=user, party=party, **payload.changes())
    return ContactRule(user, case).party(party)


@router.post("/cases/{id}/parties/{party_id}/protection", response={200: PartyOut, **WRITE_ERRORS})
def party_protection(
    request: HttpRequest, id: int, party_id: int, payload: ProtectionIn
) -> PartyOut:
    """Mark or unmark a party's contact details as protected (DV / address confidentiality),
    and record the substitute address the programme gave."""
    user, case = case_to_change(request, id)
    party = services.party_protect(
        actor=user,
        party=_party_of(case, party_id),
        protected=payload.protected,
        substitute_address=payload.substitute_address,
    )
    return ContactRule(user, case).party(party)


# Co-therapists ------------------------------------------------------------------------------


@router.get("/cases/{id}/co-therapists", response={200: list[CoTherapistOut], **READ_ERRORS})
def co_therapist_list(request: HttpRequest, id: int) -> list[CoTherapistOut]:
    _, case = case_to_read(request, id, "co_therapist_list")
    return [CoTherapistOut.of(u) for u in case.co_therapists.order_by("username")]


def _co_therapists_to_change(request: HttpRequest, case_id: int) -> tuple[User, Case]:
    user = request_user(request)
    case = access.case_get(user, case_id)
    access.require_co_therapist_management(user, case)
    return user, case


@router.post("/cases/{id}/co-therapists", response={201: CoTherapistOut, **WRITE_ERRORS})
def co_therapist_create(
    request: HttpRequest, id: int, payload: CoTherapistIn
) -> tuple[int, CoTherapistOut]:
    """Add a co-therapist: the therapist of record or their clinical supervisor only; never the
    case's evaluator, never a clinician whose licence has expired."""
    user, case = _co_therapists_to_change(request, id)
    colleague = User.objects.filter(username=payload.username).first()
    if colleague is None:
        raise ValidationError(f"There is no staff member {payload.username!r}.")
    services.co_therapist_add(actor=user, case=case, user=colleague)
    return 201, CoTherapistOut.of(colleague)


@router.delete("/cases/{id}/co-therapists/{username}", response={204: None, **WRITE_ERRORS})
def co_therapist_delete(request: HttpRequest, id: int, username: str) -> tuple[int, None]:
    """Take a co-therapist off the case."""
    user, case = _co_therapists_to_change(request, id)
    colleague = case.co_therapists.filter(username=username).first()
    if colleague is None:
        raise Http404("No such co-therapist on this case.")
    services.co_therapist_remove(actor=user, case=case, user=colleague)
    return 204, None


# Court orders ------------------------------------------------------------------------------


@router.get("/cases/{id}/court-orders", response={200: list[CourtOrderOut], **READ_ERRORS})
@paged
def court_order_list(request: HttpRequest, id: int, page: Page) -> list[CourtOrderOut]:
    """The case's court orders by number, each with its terms."""
    _, case = case_to_read(request, id, "court_order_list")
    orders = case.court_orders.select_related("supersedes").prefetch_related("terms__replaced_by")
    return [CourtOrderOut.of(o) for o in page.rows(orders, order=("number", "id"))]


@router.post("/cases/{id}/court-orders", response={201: CourtOrderOut, **WRITE_ERRORS})
def court_order_create(
    request: HttpRequest, id: int, payload: CourtOrderIn
) -> tuple[int, CourtOrderOut]:
    """Record a court order and its terms; a no-contact term in force pauses the case."""
    user, case = case_to_change(request, id)
    order = pausing.court_order_record(
        actor=user,
        case=case,
        court=payload.court,
        court_case_number=payload.court_case_number,
        judge=payload.judge,
        issued_on=payload.issued_on,
        terms=_terms(payload.terms),
    )
    return 201, CourtOrderOut.of(order)


def _terms(given: list[TermIn]) -> list[services.TermInput]:
    return [
        services.TermInput(
            kind=t.kind.value,
            until=t.until,
            due_on=t.due_on,
            text=t.text,
            cadence=t.cadence.value,
            every=t.every,
        )
        for t in given
    ]


def _order_of(case: Case, order_id: int) -> CourtOrder:
    return get_object_or_404(case.court_orders, pk=order_id)


def _terms_named(order: CourtOrder, ids: list[int]) -> list[CourtTerm]:
    terms = list(order.terms.filter(pk__in=ids))
    if len(terms) != len(set(ids)):
        raise ValidationError(f"A term named is not a term of court order {order.number}.")
    return terms


def _order_out(order: CourtOrder) -> CourtOrderOut:
    return CourtOrderOut.of(
        CourtOrder.objects.select_related("supersedes")
        .prefetch_related("terms__replaced_by")
        .get(pk=order.pk)
    )


@router.post(
    "/cases/{id}/court-orders/{order_id}/end", response={200: CourtOrderOut, **WRITE_ERRORS}
)
def court_order_end(
    request: HttpRequest, id: int, order_id: int, payload: CourtOrderEndIn
) -> CourtOrderOut:
    """End an order from a date: none of its terms applies from then on. It stays on record."""
    user, case = case_to_change(request, id)
    order = services.court_order_end(
        actor=user,
        order=_order_of(case, order_id),
        ended_on=payload.ended_on,
        reason=payload.reason,
    )
    return _order_out(order)


@router.post(
    "/cases/{id}/court-orders/{order_id}/amend", response={200: CourtOrderOut, **WRITE_ERRORS}
)
def court_order_amend(
    request: HttpRequest, id: int, payload: CourtOrderAmendIn, order_id: int
) -> CourtOrderOut:
    """Amend an order from a date: the terms named end, the new terms apply."""
    user, case = case_to_change(request, id)
    order = _order_of(case, order_id)
    pausing.court_order_amend(
        actor=user,
        order=order,
        effective_on=payload.effective_on,
        reason=payload.reason,
        add_terms=_terms(payload.add_terms),
        end_terms=_terms_named(order, payload.end_terms),
    )
    return _order_out(order)


@router.post(
    "/cases/{id}/court-orders/{order_id}/supersede",
    response={201: CourtOrderOut, **WRITE_ERRORS},
)
def court_order_supersede(
    request: HttpRequest, id: int, order_id: int, payload: CourtOrderSupersedeIn
) -> tuple[int, CourtOrderOut]:
    """Record a later order that supersedes this one: the terms it replaces stop on the day
    given; the old order stays on record, linked to the new one."""
    user, case = case_to_change(request, id)
    order = _order_of(case, order_id)
    new = pausing.court_order_supersede(
        actor=user,
        order=order,
        court=payload.court,
        court_case_number=payload.court_case_number,
        judge=payload.judge,
        issued_on=payload.issued_on,
        terms=_terms(payload.terms),
        replaces=_terms_named(order, payload.replaces),
        effective_on=payload.effective_on,
    )
    return 201, _order_out(new)


# Assessment records ------------------------------------------------------------------------


@router.get("/cases/{id}/intakes", response={200: list[IntakeOut], **READ_ERRORS})
@paged
def intake_list(request: HttpRequest, id: int, page: Page) -> list[IntakeOut]:
    """The intake interviews, oldest first."""
    _, case = case_to_read(request, id, "intake_list")
    intakes = case.intakes.select_related("party__person", "recorded_by")
    return [IntakeOut.of(i) for i in page.rows(intakes, order=("held_on", "id"))]


@router.post("/cases/{id}/intakes", response={201: IntakeOut, **WRITE_ERRORS})
def intake_create(request: HttpRequest, id: int, payload: IntakeIn) -> tuple[int, IntakeOut]:
    """Record a separate intake interview held with one party."""
    user, case = case_to_change(request, id)
    intake = services.intake_record(
        actor=user, case=case, party=_party_of(case, payload.party_id), held_on=payload.held_on
    )
    return 201, IntakeOut.of(intake)


@router.get("/cases/{id}/consents", response={200: list[ConsentOut], **READ_ERRORS})
@paged
def consent_list(request: HttpRequest, id: int, page: Page) -> list[ConsentOut]:
    """The signed consents, oldest first."""
    _, case = case_to_read(request, id, "consent_list")
    consents = case.consents.select_related("party__person", "recorded_by")
    return [ConsentOut.of(c) for c in page.rows(consents, order=("signed_on", "id"))]


@router.post("/cases/{id}/consents", response={201: ConsentOut, **WRITE_ERRORS})
def consent_create(request: HttpRequest, id: int, payload: ConsentIn) -> tuple[int, ConsentOut]:
    """Record a consent document signed by an adult family party."""
    user, case = case_to_change(request, id)
    consent = services.consent_record(
        actor=user,
        case=case,
        party=_party_of(case, payload.party_id),
        kind=payload.kind.value,
        signed_on=payload.signed_on,
    )
    return 201, ConsentOut.of(consent)


@router.get("/cases/{id}/document-reviews", response={200: list[DocumentReviewOut], **READ_ERRORS})
@paged
def document_review_list(request: HttpRequest, id: int, page: Page) -> list[DocumentReviewOut]:
    """The reviews of prior evaluations and court documents, oldest first."""
    _, case = case_to_read(request, id, "document_review_list")
    reviews = case.document_reviews.select_related("recorded_by")
    return [DocumentReviewOut.of(r) for r in page.rows(reviews, order=("reviewed_on", "id"))]


@router.post("/cases/{id}/document-reviews", response={201: DocumentReviewOut, **WRITE_ERRORS})
def document_review_create(
    request: HttpRequest, id: int, payload: DocumentReviewIn
) -> tuple[int, DocumentReviewOut]:
    """Record the review of prior evaluations, court documents and CPS input (or none)."""
    user, case = case_to_change(request, id)
    review = services.document_review_record(
        actor=user,
        case=case,
        reviewed_on=payload.reviewed_on,
        none_provided=payload.none_provided,
        description=payload.description,
    )
    return 201, DocumentReviewOut.of(review)


@router.get("/cases/{id}/readiness", response={200: list[ReadinessOut], **READ_ERRORS})
@paged
def readiness_list(request: HttpRequest, id: int, page: Page) -> list[ReadinessOut]:
    """The readiness ratings, oldest first."""
    _, case = case_to_read(request, id, "readiness_list")
    ratings = case.readiness_ratings.select_related("party__person", "recorded_by")
    return [ReadinessOut.of(r) for r in page.rows(ratings, order=("rated_on", "id"))]


@router.post("/cases/{id}/readiness", response={201: ReadinessOut, **WRITE_ERRORS})
def readiness_create(
    request: HttpRequest, id: int, payload: ReadinessIn
) -> tuple[int, ReadinessOut]:
    """Rate one party's readiness for contact (for the child: what the child said)."""
    user, case = case_to_change(request, id)
    rating = services.readiness_record(
        actor=user,
        case=case,
        party=_party_of(case, payload.party_id),
        level=payload.level.value,
        rated_on=payload.rated_on,
        note=payload.note,
    )
    return 201, ReadinessOut.of(rating)


# The gate and moves ------------------------------------------------------------------------


@router.get("/cases/{id}/gate", response={200: GateOut, **READ_ERRORS})
def gate_get(request: HttpRequest, id: int) -> GateOut:
    """The way to the next phase: open or not, and every reason it is closed."""
    _, case = case_to_read(request, id, "gate")
    return GateOut.of(transitions.case_gate(case))


def _transitions(case: Case) -> QuerySet[Any]:
    return case.transitions.select_related("actor", "cosigned_by")


@router.get("/cases/{id}/transitions", response={200: list[TransitionOut], **READ_ERRORS})
@paged
def transition_list(request: HttpRequest, id: int, page: Page) -> list[TransitionOut]:
    """The phase history, oldest first: every move, pause and resume, who made it, when and
    why."""
    _, case = case_to_read(request, id, "transition_list")
    return [TransitionOut.of(t, case) for t in page.rows(_transitions(case), order=("at", "id"))]


@router.post("/cases/{id}/transitions", response={201: TransitionOut, **WRITE_ERRORS})
def transition_create(
    request: HttpRequest, id: int, payload: TransitionIn
) -> tuple[int, TransitionOut]:
    """Move the case into its next phase; a closed gate answers 409 with its reasons."""
    user, case = case_to_change(request, id)
    expected = next_phase(case.phase) if not case.is_closed else None
    if payload.to_phase is not None and not case.is_closed and payload.to_phase != expected:
        if payload.to_phase == Phase.CLOSED:
            raise ValidationError("To close the case, use its close operation with an outcome.")
        if expected is None:
            raise ValidationError(
                f"The case is in {case.get_phase_display().lower()}, the last phase; "
                "close it with its outcome instead."
            )
        raise ValidationError(
            f"The case is in {case.get_phase_display().lower()}; it can only move on to "
            f"{Phase(expected).label.lower()} ({expected}), not to {payload.to_phase.value}. "
            "Phases are taken one at a time."
        )
    transition = transitions.case_advance(
        actor=user, case=case, rationale=payload.rationale, effective_on=payload.effective_on
    )
    return 201, TransitionOut.of(transition, case)


# Overrides ---------------------------------------------------------------------------------


# The order of a list of overrides (the model's own): newest first.
NEWEST_OVERRIDES = ("-requested_at", "-id")


@router.get("/cases/{id}/overrides", response={200: list[OverrideOut], **READ_ERRORS})
@paged
def case_override_list(request: HttpRequest, id: int, page: Page) -> list[OverrideOut]:
    """Every override asked for on this case, newest first, with its decision."""
    _, case = case_to_read(request, id, "override_list")
    overrides = case.override_requests.select_related("case", "requested_by", "decided_by")
    return [OverrideOut.of(o) for o in page.rows(overrides, order=NEWEST_OVERRIDES)]


@router.post("/cases/{id}/overrides", response={201: OverrideOut, **WRITE_ERRORS})
def override_create(request: HttpRequest, id: int, payload: OverrideIn) -> tuple[int, OverrideOut]:
    """Ask your supervisor to co-sign passing a gate closed only by readiness reasons."""
    user, case = case_to_change(request, id)
    override = transitions.override_request(actor=user, case=case, rationale=payload.rationale)
    return 201, OverrideOut.of(override)


@router.get("/overrides", response={200: list[OverrideOut], 401: ErrorOut})
@paged
def override_awaiting_list(request: HttpRequest, page: Page) -> list[OverrideOut]:
    """Overrides awaiting your co-signature as clinical supervisor, newest first (empty for
    anyone else)."""
    user = request_user(request)
    access.require_staff(user)
    awaiting = selectors.overrides_awaiting(user).select_related("decided_by")
    overrides = page.rows(awaiting, order=NEWEST_OVERRIDES)
    cases = list({o.case_id: o.case for o in overrides}.values())
    services.case_views(actor=user, cases=cases, what="api:override_awaiting_list")
    return [OverrideOut.of(o) for o in overrides]


@router.post("/overrides/{id}/decision", response={200: OverrideOut, **WRITE_ERRORS})
def override_decision(request: HttpRequest, id: int, payload: DecisionIn) -> OverrideOut:
    """Co-sign (the case moves on at once) or decline with a note."""
    user = request_user(request)
    override = OverrideRequest.objects.select_related("case").filter(pk=id).first()
    if override is None:
        raise Http404("No such override.")
    access.case_get(user, override.case_id, Action.COSIGN)
    decided = transitions.override_decide(
        actor=user, request=override, approve=payload.approved, note=payload.note
    )
    return OverrideOut.of(
        OverrideRequest.objects.select_related("case", "requested_by", "decided_by").get(
            pk=decided.pk
        )
    )


# Pause, resume, close ----------------------------------------------------------------------


@router.post("/cases/{id}/pause", response={201: TransitionOut, **WRITE_ERRORS})
def case_pause(request: HttpRequest, id: int, payload: PauseIn) -> tuple[int, TransitionOut]:
    """Pause the case at once, with the reason."""
    user, case = case_to_change(request, id)
    transition = transitions.case_pause(
        actor=user,
        case=case,
        reason=payload.reason,
        court_reason=payload.court_reason,
        effective_on=payload.effective_on,
    )
    return 201, TransitionOut.of(transition, case)


@router.post(
    "/cases/{id}/pauses/{transition_id}/court-reason",
    response={200: TransitionOut, **WRITE_ERRORS},
)
def pause_court_reason(
    request: HttpRequest, id: int, transition_id: int, payload: PauseCourtReasonIn
) -> TransitionOut:
    """Write (or clear) what court reports say of a pause, in place of the clinical reason."""
    user, case = case_to_change(request, id)
    pause = get_object_or_404(
        Transition.objects.filter(case=case, kind=TransitionKind.PAUSE), pk=transition_id
    )
    pause.case = case
    saved = transitions.pause_court_reason_set(
        actor=user, transition=pause, court_reason=payload.court_reason
    )
    return TransitionOut.of(saved, case)


@router.post("/cases/{id}/resume", response={201: TransitionOut, **WRITE_ERRORS})
def case_resume(request: HttpRequest, id: int, payload: ResumeIn) -> tuple[int, TransitionOut]:
    """Resume a paused case: name the conditions met; a fresh, clear screen must exist."""
    user, case = case_to_change(request, id)
    transition = transitions.case_resume(
        actor=user,
        case=case,
        conditions=payload.conditions,
        note=payload.note,
        effective_on=payload.effective_on,
    )
    return 201, TransitionOut.of(transition, case)


@router.post("/cases/{id}/close", response={201: TransitionOut, **WRITE_ERRORS})
def case_close(request: HttpRequest, id: int, payload: CloseIn) -> tuple[int, TransitionOut]:
    """Close the case with its outcome and reason; the record becomes read-only."""
    user, case = case_to_change(request, id)
    transition = transitions.case_close(
        actor=user,
        case=case,
        outcome=payload.outcome.value,
        reason=payload.reason,
        effective_on=payload.effective_on,
    )
    return 201, TransitionOut.of(transition, case)


# Reading the record ------------------------------------------------------------------------


@router.get("/cases/{id}/timeline", response={200: list[TimelineEntryOut], **READ_ERRORS})
@paged
def timeline_get(request: HttpRequest, id: int, page: Page) -> list[TimelineEntryOut]:
    """Every change to the case, newest first, in words."""
    _, case = case_to_read(request, id, "timeline")
    events = page.rows(selectors.case_timeline_events(case), order=("-id",))
    return [TimelineEntryOut.of(e) for e in selectors.timeline_entries(events)]


@router.get("/cases/{id}/access-log", response={200: list[LookOut], **READ_ERRORS})
@paged
def access_log_get(
    request: HttpRequest,
    id: int,
    page: Page,
    person: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    kind: LookKind | None = None,
) -> list[LookOut]:
    """Who looked at the case, newest first (this look included); narrowed to one person (a
    user id), a date range and a kind (`change` lists the changes instead)."""
    _, case = case_to_read(request, id, "access_log")
    filters = selectors.LookFilter(
        person=person, since=since, until=until, kind=kind.value if kind else ""
    )
    order = ("-id",)
    # A union takes no filter: the cursor's condition narrows each of its parts.
    events = selectors.case_access_events(case, filters, where=page.after(order))
    rows = page.take(events, order=order, key=selectors.look_key)
    return [LookOut.of(look) for look in selectors.looks_of(rows)]
