"""Every route, every identity: the authorisation matrix, generated from the URL configuration
and the API schema, with the expected outcome of each route written down below as data.

A route nobody wrote an entry for fails the test, so a new page or endpoint cannot arrive
without someone deciding who may open it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from reunify.accounts.models import User
from reunify.cases.models import Party, PartyRole
from reunify.cases.services import TermInput
from reunify.clinical import services as clinical
from reunify.clinical.models import AppointmentKind, NoteFormat
from reunify.conftest import Family, add_party, bearer, licensed, login, make_family, screen
from reunify.disclosure.services import document_share, release_grant, restriction_set
from reunify.measures.models import Instrument, Task
from reunify.measures.services import goal_add
from reunify.portal.services import invitation_accept, invitation_create
from reunify.portal.tests.factories import upload
from reunify.process import pausing
from reunify.process.pausing import checkin_record, court_order_record
from reunify.process.transitions import case_pause, case_resume
from reunify.psychoeducation.models import Module
from reunify.psychoeducation.services import module_assign
from reunify.reports.services import report_issue

# The people of the practice, and the people a family's portal lets in: each portal identity
# accepted an invitation for one party of the Rivers case.
STAFF = ("therapist", "outsider", "supervisor", "monitor", "admin")
PORTAL = (
    "estranged",  # the parent the child resists
    "other_parent",  # the parent the child lives with; protected address
    "restricted_parent",  # a parent whose access to the child's information is restricted
    "child",  # the adolescent
    "attorney",  # the estranged parent's lawyer, under a release: attendance, court reports
    "gal",  # the guardian ad litem, no release
    "court",  # the court's contact, no release
    "cps",  # the CPS caseworker, no release
)
IDENTITIES = ("anonymous", *STAFF, *PORTAL)
FAMILY = frozenset({"estranged", "other_parent", "child"})

# Who may open a route with the ids of the case of `therapist` (the Rivers family); a portal
# identity opens it with its own party's id. Every other identity is refused (never a 200),
# and everyone — the treating therapist too — is refused the same route filled with another
# family's ids.
RULES: dict[str, frozenset[str]] = {
    "public": frozenset(IDENTITIES),
    "login_only": frozenset(STAFF + PORTAL),
    "staff_any": frozenset(STAFF),
    "clinician": frozenset({"therapist", "outsider", "supervisor"}),
    "clinician_or_admin": frozenset({"therapist", "outsider", "supervisor", "admin"}),
    "supervisor_or_admin": frozenset({"supervisor", "admin"}),
    "staff_case_view": frozenset({"therapist", "supervisor"}),
    "staff_case_edit": frozenset({"therapist"}),
    "treating_only": frozenset({"therapist"}),
    "author_only": frozenset({"therapist"}),
    "supervisor_only": frozenset({"supervisor"}),
    "monitor_own": frozenset(STAFF),
    # Any portal user, about themselves.
    "portal_any": frozenset(PORTAL),
    "portal_own": frozenset(PORTAL),
    # Family members whose access is not restricted: their conversation, their accounting.
    "portal_family": FAMILY,
    # Only the party a document was shared with.
    "portal_shared": frozenset({"estranged"}),
    "portal_child": frozenset({"child"}),
    # A legal party, for a court report issued to them while a release covers court reports.
    "portal_legal": frozenset({"attorney"}),
}
# Rules whose routes carry a case's objects: filled with another family's ids they answer 404.
CASE_SCOPED = {
    "staff_case_view",
    "staff_case_edit",
    "treating_only",
    "author_only",
    "portal_own",
    "portal_family",
    "portal_shared",
    "portal_child",
    "portal_legal",
}
STAFF_CASE = {"staff_case_view", "staff_case_edit", "treating_only", "author_only"}


SKIP_OVERRIDE = "skip: an override needs a gate closed by readiness alone"
SKIP_AMENDMENT = "skip: an amendment request comes from a family member"

PAGES: dict[str, str] = {
    "healthz": "public",
    "login": "public",
    "login_code": "login_only",
    "login_enrol": "login_only",
    "logout": "login_only",
    "caseload": "staff_any",
    "case_new": "clinician",
    "case_detail": "staff_case_view",
    "case_looks": "staff_case_view",
    "case_parties": "staff_case_view",
    "case_legal": "staff_case_view",
    "case_sessions": "staff_case_view",
    "case_ladder": "staff_case_view",
    "case_measures": "staff_case_view",
    "case_documents": "staff_case_view",
    "case_disclosure": "staff_case_view",
    "case_timeline": "staff_case_view",
    # The therapist of record, or their clinical supervisor; never a co-therapist.
    "co_therapists": "staff_case_view",
    "co_therapist_remove": "staff_case_view",
    "party_new": "staff_case_edit",
    "party_protect": "staff_case_edit",
    "party_edit": "staff_case_edit",
    "court_order_new": "staff_case_edit",
    "court_order_end": "staff_case_edit",
    "court_order_amend": "staff_case_edit",
    "court_order_supersede": "staff_case_edit",
    "intake_new": "staff_case_edit",
    "consent_new": "staff_case_edit",
    "document_review_new": "staff_case_edit",
    "readiness_new": "staff_case_edit",
    "screening_new": "staff_case_edit",
    "case_advance": "staff_case_edit",
    "override_request": "staff_case_edit",
    "case_pause": "staff_case_edit",
    "case_resume": "staff_case_edit",
    "pause_court_reason": "staff_case_edit",
    "case_close": "staff_case_edit",
    "report_preview": "staff_case_edit",
    "override_decide": SKIP_OVERRIDE,
    "appointment_new": "staff_case_edit",
    "appointment_detail": "staff_case_view",
    "appointment_reschedule": "staff_case_edit",
    "appointment_cancel": "staff_case_edit",
    "appointment_complete": "staff_case_edit",
    "appointment_no_show": "staff_case_edit",
    "contact_record": "staff_case_edit",
    "note_new": "staff_case_edit",
    "note_edit": "staff_case_edit",
    "note_sign": "staff_case_edit",
    "addendum_new": "staff_case_edit",
    "amendment_new": "staff_case_edit",
    "amendment_decide": SKIP_AMENDMENT,
    "ladder_step_up": "staff_case_edit",
    "ladder_step_down": "staff_case_edit",
    "assent_new": "staff_case_edit",
    "ladder_edit": "staff_case_edit",
    "letter_new": "staff_case_edit",
    "arrangement_new": "staff_case_edit",
    "psychotherapy_notes": "staff_case_view",
    "psychotherapy_note_share": "author_only",
    "monitor_visits": "staff_any",
    "module_list": "staff_any",
    "module_detail": "staff_any",
    "module_new": "supervisor_or_admin",
    "module_edit": "supervisor_or_admin",
    "case_module_new": "staff_case_edit",
    "case_module_complete": "staff_case_edit",
    "document_new": "staff_case_edit",
    "document_download": "staff_case_view",
    "invitation_new": "staff_case_edit",
    "portal_revoke": "staff_case_edit",
    "release_new": "staff_case_edit",
    "release_revoke": "staff_case_edit",
    "restriction_new": "staff_case_edit",
    "restriction_lift": "staff_case_edit",
    "document_share_new": "staff_case_edit",
    "share_withdraw": "staff_case_edit",
    "document_substance_use": "staff_case_edit",
    "disclosure_accounting": "staff_case_view",
    "disclosure_accounting_pdf": "staff_case_view",
    "disclosure_log": "staff_case_view",
    "disclosure_conversation": "treating_only",
    "portal_home": "portal_any",
    "portal_invitation": "public",
    "portal_party": "portal_own",
    "portal_message_send": "portal_family",
    "portal_disclosures": "portal_family",
    "portal_document_download": "portal_shared",
    "report_new": "staff_case_edit",
    "report_download": "staff_case_view",
    "notice_download": "skip: a notice exists only once the case is closed",
    "verify": "public",
    "dashboard": "login_only",
    "goal_new": "staff_case_edit",
    "goal_rating_new": "staff_case_edit",
    "willingness_new": "staff_case_edit",
    "alignment_new": "staff_case_edit",
    "response_new": "staff_case_edit",
    "checkin_list": "treating_only",
    "checkin_new": "treating_only",
    "checkin_step_down": "treating_only",
    "task_done": "treating_only",
    "response_detail": "skip: a response needs a licensed instrument loaded",
    "questionnaire_list": "clinician_or_admin",
    "questionnaire_detail": "clinician_or_admin",
    "questionnaire_import": "supervisor_or_admin",
    "qualification_list": "clinician_or_admin",
    "qualification_edit": "supervisor_or_admin",
    "portal_checkin": "portal_child",
    "portal_security": "portal_any",
    "portal_security_turn_on": "portal_any",
    "portal_security_enrol": "portal_any",
    "portal_security_turn_off": "portal_any",
    "portal_security_recovery_codes": "portal_any",
    "portal_report_download": "portal_legal",
}
API: dict[str, str] = {
    "GET /api/v1/cases": "staff_any",
    "POST /api/v1/cases": "clinician",
    "GET /api/v1/cases/{id}": "staff_case_view",
    "GET /api/v1/cases/{id}/parties": "staff_case_view",
    "POST /api/v1/cases/{id}/parties": "staff_case_edit",
    "POST /api/v1/cases/{id}/parties/{party_id}/protection": "staff_case_edit",
    "GET /api/v1/cases/{id}/co-therapists": "staff_case_view",
    "POST /api/v1/cases/{id}/co-therapists": "staff_case_view",
    "DELETE /api/v1/cases/{id}/co-therapists/{username}": "staff_case_view",
    "PATCH /api/v1/cases/{id}/parties/{party_id}": "staff_case_edit",
    "GET /api/v1/cases/{id}/court-orders": "staff_case_view",
    "POST /api/v1/cases/{id}/court-orders": "staff_case_edit",
    "POST /api/v1/cases/{id}/court-orders/{order_id}/end": "staff_case_edit",
    "POST /api/v1/cases/{id}/court-orders/{order_id}/amend": "staff_case_edit",
    "POST /api/v1/cases/{id}/court-orders/{order_id}/supersede": "staff_case_edit",
    "GET /api/v1/cases/{id}/intakes": "staff_case_view",
    "POST /api/v1/cases/{id}/intakes": "staff_case_edit",
    "GET /api/v1/cases/{id}/consents": "staff_case_view",
    "POST /api/v1/cases/{id}/consents": "staff_case_edit",
    "GET /api/v1/cases/{id}/document-reviews": "staff_case_view",
    "POST /api/v1/cases/{id}/document-reviews": "staff_case_edit",
    "GET /api/v1/cases/{id}/readiness": "staff_case_view",
    "POST /api/v1/cases/{id}/readiness": "staff_case_edit",
    "GET /api/v1/cases/{id}/gate": "staff_case_view",
    "GET /api/v1/cases/{id}/transitions": "staff_case_view",
    "POST /api/v1/cases/{id}/transitions": "staff_case_edit",
    "GET /api/v1/cases/{id}/overrides": "staff_case_view",
    "POST /api/v1/cases/{id}/overrides": "staff_case_edit",
    "GET /api/v1/overrides": "staff_any",
    "POST /api/v1/overrides/{id}/decision": SKIP_OVERRIDE,
    "POST /api/v1/cases/{id}/pause": "staff_case_edit",
    "POST /api/v1/cases/{id}/pauses/{transition_id}/court-reason": "staff_case_edit",
    "POST /api/v1/cases/{id}/resume": "staff_case_edit",
    "POST /api/v1/cases/{id}/close": "staff_case_edit",
    "GET /api/v1/cases/{id}/timeline": "staff_case_view",
    "GET /api/v1/cases/{id}/access-log": "staff_case_view",
    "GET /api/v1/cases/{id}/screenings": "staff_case_view",
    "POST /api/v1/cases/{id}/screenings": "staff_case_edit",
    "GET /api/v1/cases/{id}/documents": "staff_case_view",
    "POST /api/v1/cases/{id}/documents": "staff_case_edit",
    "GET /api/v1/documents/{id}/download": "staff_case_view",
    "GET /api/v1/cases/{id}/appointments": "staff_case_view",
    "POST /api/v1/cases/{id}/appointments": "staff_case_edit",
    "GET /api/v1/visits": "staff_any",
    "GET /api/v1/appointments/{id}": "staff_case_view",
    "POST /api/v1/appointments/{id}/reschedule": "staff_case_edit",
    "POST /api/v1/appointments/{id}/cancel": "staff_case_edit",
    "POST /api/v1/appointments/{id}/complete": "staff_case_edit",
    "POST /api/v1/appointments/{id}/no-show": "staff_case_edit",
    "POST /api/v1/appointments/{id}/contact-record": "staff_case_edit",
    "GET /api/v1/cases/{id}/ladder": "staff_case_view",
    "PUT /api/v1/cases/{id}/ladder": "staff_case_edit",
    "POST /api/v1/cases/{id}/ladder/step": "staff_case_edit",
    "POST /api/v1/cases/{id}/ladder/assents": "staff_case_edit",
    "GET /api/v1/cases/{id}/letters": "staff_case_view",
    "POST /api/v1/cases/{id}/letters": "staff_case_edit",
    "GET /api/v1/appointments/{id}/notes": "staff_case_view",
    "POST /api/v1/appointments/{id}/notes": "staff_case_edit",
    "PUT /api/v1/notes/{id}": "staff_case_edit",
    "POST /api/v1/notes/{id}/sign": "staff_case_edit",
    "GET /api/v1/notes/{id}/addenda": "staff_case_view",
    "POST /api/v1/notes/{id}/addenda": "staff_case_edit",
    "POST /api/v1/notes/{id}/amendment-requests": "staff_case_edit",
    "POST /api/v1/amendment-requests/{id}/decision": SKIP_AMENDMENT,
    "GET /api/v1/cases/{id}/psychotherapy-notes": "staff_case_view",
    "POST /api/v1/cases/{id}/psychotherapy-notes": "author_only",
    "POST /api/v1/psychotherapy-notes/{id}/share": "author_only",
    "GET /api/v1/cases/{id}/attendance": "staff_case_view",
    "POST /api/v1/cases/{id}/arrangement": "staff_case_edit",
    "GET /api/v1/modules": "staff_any",
    "POST /api/v1/modules": "supervisor_or_admin",
    "GET /api/v1/modules/{id}": "staff_any",
    "PUT /api/v1/modules/{id}": "supervisor_or_admin",
    "GET /api/v1/cases/{id}/modules": "staff_case_view",
    "POST /api/v1/cases/{id}/modules": "staff_case_edit",
    "POST /api/v1/cases/{id}/modules/{assignment_id}/complete": "staff_case_edit",
    "GET /api/v1/cases/{id}/invitations": "staff_case_view",
    "POST /api/v1/cases/{id}/invitations": "staff_case_edit",
    "POST /api/v1/cases/{id}/parties/{party_id}/portal-access/revoke": "staff_case_edit",
    "GET /api/v1/cases/{id}/releases": "staff_case_view",
    "POST /api/v1/cases/{id}/releases": "staff_case_edit",
    "POST /api/v1/releases/{id}/revoke": "staff_case_edit",
    "GET /api/v1/parties/{id}/disclosures": "staff_case_view",
    "GET /api/v1/cases/{id}/restrictions": "staff_case_view",
    "POST /api/v1/cases/{id}/restrictions": "staff_case_edit",
    "POST /api/v1/restrictions/{id}/lift": "staff_case_edit",
    "GET /api/v1/documents/{id}/shares": "staff_case_view",
    "POST /api/v1/documents/{id}/shares": "staff_case_edit",
    "POST /api/v1/shares/{id}/withdraw": "staff_case_edit",
    "POST /api/v1/documents/{id}/substance-use": "staff_case_edit",
    "GET /api/v1/cases/{id}/parties/{party_id}/messages": "treating_only",
    "POST /api/v1/cases/{id}/parties/{party_id}/messages": "staff_case_edit",
    "GET /api/v1/portal/parties": "portal_any",
    "GET /api/v1/portal/parties/{id}": "portal_own",
    "GET /api/v1/portal/documents/{id}/download": "portal_shared",
    "GET /api/v1/portal/parties/{id}/messages": "portal_family",
    "POST /api/v1/portal/parties/{id}/messages": "portal_family",
    "GET /api/v1/cases/{id}/reports": "staff_case_view",
    "POST /api/v1/cases/{id}/reports": "staff_case_edit",
    "POST /api/v1/cases/{id}/reports/preview": "staff_case_edit",
    "GET /api/v1/reports/{id}/pdf": "staff_case_view",
    "GET /api/v1/dashboard": "clinician",
    "GET /api/v1/work-queue": "clinician",
    "GET /api/v1/cases/{id}/goals": "staff_case_view",
    "POST /api/v1/cases/{id}/goals": "staff_case_edit",
    "POST /api/v1/cases/{id}/goals/{goal_id}/ratings": "staff_case_edit",
    "GET /api/v1/cases/{id}/ratings": "staff_case_view",
    "POST /api/v1/cases/{id}/ratings/willingness": "staff_case_edit",
    "POST /api/v1/cases/{id}/ratings/alignment": "staff_case_edit",
    "GET /api/v1/cases/{id}/checkins": "treating_only",
    "POST /api/v1/cases/{id}/checkins": "treating_only",
    "GET /api/v1/cases/{id}/tasks": "treating_only",
    "POST /api/v1/cases/{id}/tasks/{task_id}/done": "treating_only",
    "GET /api/v1/questionnaires": "clinician_or_admin",
    "POST /api/v1/questionnaires": "supervisor_or_admin",
    "GET /api/v1/questionnaires/{instrument_id}": "clinician_or_admin",
    "GET /api/v1/portal/reports/{id}/pdf": "portal_legal",
    "GET /api/v1/cases/{id}/responses": "staff_case_view",
    "POST /api/v1/cases/{id}/responses": "staff_case_edit",
}

# The documents any visitor may read about the API itself.
API_DOCS = ("/api/v1/openapi.json", "/api/v1/docs")
# A refusal: to the login page (or elsewhere), no token, forbidden, out of sight, wrong method.
REFUSED = {301, 302, 303, 401, 403, 404, 405}


@dataclass
class World:
    """The ids a route can be filled with: `own` from the Rivers case of `therapist`, `other`
    from the Okafor case of `outsider`; ids that belong to no case are the same in both.
    `party_of` is the Rivers party each portal identity acts as."""

    own: dict[str, int | str] = field(default_factory=dict)
    other: dict[str, int | str] = field(default_factory=dict)
    users: dict[str, User | None] = field(default_factory=dict)
    party_of: dict[str, int] = field(default_factory=dict)
    rivers: Family | None = None

    def ids(self, who: str, *, family: str = "own") -> dict[str, int | str]:
        """The ids `who` fills a route with: a portal identity names its own party on its own
        case, and on another family's case the party it would most like to see."""
        ids = self.own if family == "own" else self.other
        if family == "own" and who in self.party_of:
            return {**ids, "party": self.party_of[who]}
        return ids


def _furnish(therapist: User, family: Family, clock: Any) -> dict[str, int | str]:
    """One of each object a route names, on the family's case."""
    case = family.case
    attorney = add_party(
        therapist, case, PartyRole.ATTORNEY, "Avery", "Counsel", represents=family.estranged
    )
    appointment = clinical.appointment_schedule(
        actor=therapist,
        case=case,
        kind=AppointmentKind.INDIVIDUAL,
        starts_at=timezone.now() + dt.timedelta(days=1),
        participants=[family.estranged],
    )
    clock.move_to(appointment.starts_at + dt.timedelta(hours=1))
    clinical.appointment_complete(actor=therapist, appointment=appointment)
    note = pausing.note_write(
        actor=therapist,
        appointment=appointment,
        format=NoteFormat.DAP,
        body={"data": "Daniel spoke of Mia.", "assessment": "Engaged.", "plan": "Weekly."},
    )
    psychotherapy = clinical.psychotherapy_note_write(
        actor=therapist, case=case, text="A private thought."
    )
    release = release_grant(
        actor=therapist,
        case=case,
        recipient=attorney,
        granted_by=family.estranged,
        categories=["attendance", "court_reports"],
        purpose="Representing the father",
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    restricted = add_party(
        therapist, case, PartyRole.OTHER_PARENT, "Jo", family.child.person.last_name
    )
    restriction = restriction_set(
        actor=therapist, case=case, party=restricted, reason="A reasonable belief of danger."
    )
    legal = {
        role: add_party(therapist, case, role, first, "Official")
        for role, first in (
            (PartyRole.GAL, "Gale"),
            (PartyRole.COURT, "Clerk"),
            (PartyRole.CPS, "Casey"),
        )
    }
    document = upload(therapist, family, title=f"{case.title} order")
    share = document_share(actor=therapist, document=document, party=family.estranged)
    goal = goal_add(actor=therapist, case=case, standard="emotional_safety", baseline=3, target=8)
    checkin = checkin_record(
        actor=therapist,
        case=case,
        child=family.child,
        ready=5,
        safe=5,
        last_visit="okay",
        slow_down=True,
    )
    module = Module.objects.active().order_by("id").first()
    assert module is not None
    assignment = module_assign(actor=therapist, case=case, party=family.estranged, module=module)
    licensed(therapist)
    report = report_issue(
        actor=therapist,
        case=case,
        start=case.referral_date,
        end=timezone.localdate(),
        summary=f"{case.title} is working.",
    )
    order = court_order_record(
        actor=therapist,
        case=case,
        court="Superior Court",
        court_case_number="FL-1",
        issued_on=case.referral_date,
        terms=[TermInput(kind="other", text="Exchanges at school.")],
    )
    pause = case_pause(actor=therapist, case=case, reason="A hearing is pending.")
    screen(therapist, case)
    case_resume(actor=therapist, case=case, conditions=["legal_intervention"])
    return {
        "case": case.pk,
        "court_order": order.pk,
        "party": family.estranged.pk,
        "appointment": appointment.pk,
        "note": note.pk,
        "psychotherapy_note": psychotherapy.pk,
        "release": release.pk,
        "restriction": restriction.pk,
        "document": document.pk,
        "share": share.pk,
        "goal": goal.pk,
        "checkin": checkin.pk,
        "task": Task.objects.filter(case=case).latest("pk").pk,
        "assignment": assignment.pk,
        "report": report.pk,
        "pause": pause.pk,
        "attorney_party": attorney.pk,
        "restricted_party": restricted.pk,
        "gal_party": legal[PartyRole.GAL].pk,
        "court_party": legal[PartyRole.COURT].pk,
        "cps_party": legal[PartyRole.CPS].pk,
    }


def _portal_user(therapist: User, party: Any) -> User:
    invitation = invitation_create(
        actor=therapist,
        case=party.case,
        party=party,
        email=f"{party.person.first_name.lower()}@example.invalid",
        portal_url="http://testserver/",
    )
    token = invitation.token  # type: ignore[attr-defined]
    return invitation_accept(token=token, password="correct horse battery 42 x")


def build_world(
    therapist: User,
    outsider: User,
    supervisor: User,
    monitor: User,
    admin_user: User,
    clock: Any,
) -> World:
    clock.move_to(timezone.now(), tick=True)
    rivers = make_family(therapist)
    okafor = make_family(outsider, title="Okafor family", last="Okafor")
    own, other = _furnish(therapist, rivers, clock), _furnish(outsider, okafor, clock)
    party_of = {
        "estranged": rivers.estranged.pk,
        "other_parent": rivers.other.pk,
        "restricted_parent": int(own["restricted_party"]),
        "child": rivers.child.pk,
        "attorney": int(own["attorney_party"]),
        "gal": int(own["gal_party"]),
        "court": int(own["court_party"]),
        "cps": int(own["cps_party"]),
    }
    users: dict[str, User | None] = {
        "anonymous": None,
        "therapist": therapist,
        "outsider": outsider,
        "supervisor": supervisor,
        "monitor": monitor,
        "admin": admin_user,
    }
    for who, party_id in party_of.items():
        users[who] = _portal_user(therapist, Party.objects.get(pk=party_id))
    step_parent = add_party(therapist, rivers.case, PartyRole.STEP_PARENT, "Sky", "Rivers")
    pending = invitation_create(
        actor=therapist,
        case=rivers.case,
        party=step_parent,
        email="sky@example.invalid",
        portal_url="http://testserver/",
    )
    shared: dict[str, int | str] = {
        "module": Module.objects.order_by("id").first().pk,  # type: ignore[union-attr]
        "token": pending.token,  # type: ignore[attr-defined]
    }
    instrument = Instrument.objects.order_by("id").first()
    if instrument is not None:
        shared["instrument"] = instrument.pk
    own.update(shared, user=therapist.pk)
    other.update(shared, user=outsider.pk)
    return World(own=own, other=other, users=users, party_of=party_of, rivers=rivers)


# The object a path parameter names, from the path segment before it.
SEGMENT_KIND = {
    "cases": "case",
    "court-orders": "court_order",
    "parties": "party",
    "appointments": "appointment",
    "notes": "note",
    "psychotherapy-notes": "psychotherapy_note",
    "releases": "release",
    "restrictions": "restriction",
    "documents": "document",
    "shares": "share",
    "goals": "goal",
    "checkins": "checkin",
    "tasks": "task",
    "reports": "report",
    "questionnaires": "instrument",
    "qualifications": "user",
    "invitation": "token",
    "overrides": "override",
    "co-therapists": "user",
    "amendments": "amendment",
    "amendment-requests": "amendment",
    "responses": "response",
    "notices": "notice",
    "pauses": "pause",
}
PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)\}")


@dataclass
class Route:
    key: str  # the entry in PAGES or API
    method: str
    template: str  # "/cases/{case_id}/…"
    rule: str

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")

    def kinds(self) -> list[str]:
        """The object kind of each path parameter, in order."""
        segments = self.template.strip("/").split("/")
        kinds = []
        for i, segment in enumerate(segments):
            if PARAM.fullmatch(segment):
                before = segments[i - 1] if i else ""
                if before == "modules":
                    before = "assignment" if i >= 3 and segments[i - 3] == "cases" else "module"
                    kinds.append(before)
                else:
                    kinds.append(SEGMENT_KIND.get(before, f"? after {before!r}"))
        return kinds

    def fill(self, ids: dict[str, int | str]) -> str | None:
        values = iter(self.kinds())
        missing = False

        def one(_: re.Match[str]) -> str:
            nonlocal missing
            kind = next(values)
            if kind not in ids:
                missing = True
                return ""
            return str(ids[kind])

        path = PARAM.sub(one, self.template)
        return None if missing else path


def _page_patterns(patterns: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("api/"):
                continue  # the ninja API: its schema lists its own routes
            found += _page_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append(
                (
                    pattern.name or f"<unnamed {prefix}{pattern.pattern}>",
                    "/" + prefix + str(pattern.pattern),
                )
            )
    return found


def all_routes(client: Client) -> tuple[list[Route], list[str]]:
    """Every page and every API operation with its rule, and the ones nobody wrote down."""
    routes, unlisted = [], []
    for name, template in _page_patterns(get_resolver().url_patterns):
        if name not in PAGES:
            unlisted.append(f"{name} ({template})")
            continue
        routes.append(Route(name, "GET", template, PAGES[name]))
    schema = client.get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method in operations:
            key = f"{method.upper()} {path}"
            if key not in API:
                unlisted.append(key)
                continue
            routes.append(Route(key, method.upper(), path, API[key]))
    stale = (set(PAGES) | set(API)) - {r.key for r in routes}
    unlisted += [f"{key} (listed here, but no longer a route)" for key in sorted(stale)]
    return routes, unlisted


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


class Visitor:
    """A client per identity: logged in for pages, with a bearer token for the API."""

    def __init__(self, world: World) -> None:
        self.pages: dict[str, Client] = {}
        self.headers: dict[str, dict[str, str]] = {}
        for who, user in world.users.items():
            client = Client()
            if user is not None:
                login(client, user)
                self.headers[who] = bearer(user)
            else:
                self.headers[who] = {}
            self.pages[who] = client

    def get(self, who: str, route: Route, path: str) -> Any:
        if route.is_api:
            return Client().get(path, headers=self.headers[who])
        return self.pages[who].get(path)

    def send_empty(self, who: str, route: Route, path: str) -> Any:
        if route.is_api:
            return Client().generic(
                route.method if route.method != "GET" else "POST",
                path,
                "{}",
                content_type="application/json",
                headers=self.headers[who],
            )
        return self.pages[who].post(path, {})


@pytest.fixture
def world(
    therapist: User,
    outsider: User,
    supervisor: User,
    monitor: User,
    admin_user: User,
    time_machine: Any,
) -> World:
    return build_world(therapist, outsider, supervisor, monitor, admin_user, time_machine)


def test_every_route_has_an_entry_in_the_matrix(client: Client, db: Any) -> None:
    _, unlisted = all_routes(client)
    assert not unlisted, "new route without an entry in the authorisation matrix: " + ", ".join(
        unlisted
    )


def test_every_rule_in_the_matrix_is_known() -> None:
    unknown = {
        key: rule
        for key, rule in {**PAGES, **API}.items()
        if not rule.startswith("skip: ") and rule not in RULES
    }
    assert not unknown


# Pages an entitled visitor is sent on from (a redirect, not a 200) in this world, and why.
REDIRECT_WHEN_ALLOWED = {
    "login": "a visitor already logged in goes where they were going",
    "login_code": "no login is under way",
    "login_enrol": "no login is under way",
    "ladder_edit": "the case has no contact ladder before therapeutic contact",
    "letter_new": "the case has no contact ladder, so no letters rung, before therapeutic contact",
    "portal_security_enrol": "no authenticator app is being set up",
    "portal_security_turn_off": "no second factor is on",
    "portal_security_recovery_codes": "no second factor is on",
}
# Answers to an empty form that still say "no" without reading anything: an API body that does
# not fit the schema is refused (422) before any lookup.
EMPTY_BODY_REFUSED = REFUSED | {422}


def _check_get(visitor: Visitor, world: World, route: Route, who: str) -> str | None:
    """One GET as one identity on its own case: the problem, or None."""
    path = route.fill(world.ids(who))
    assert path is not None
    status = visitor.get(who, route, path).status_code
    allowed = who in RULES[route.rule]
    if status >= 500:
        return f"{route.key} as {who}: {status}"
    if not allowed and status not in REFUSED:
        return f"{route.key} as {who}: {status}, expected a refusal"
    if not allowed and who in PORTAL and route.rule in STAFF_CASE and status not in (403, 404, 405):
        return f"{route.key} as portal {who}: {status}, expected 404/403"
    if allowed and status == 405:
        return None  # a form that only takes POST: its GET is refused for everyone
    if allowed and status != 200 and not (route.key in REDIRECT_WHEN_ALLOWED and status == 302):
        return f"{route.key} as {who}: {status}, but the matrix says {who} may open it"
    return None


def _check_post(visitor: Visitor, world: World, route: Route, who: str) -> str | None:
    """One empty POST (PUT…) as an identity the matrix refuses: it must be refused."""
    path = route.fill(world.ids(who))
    assert path is not None
    status = visitor.send_empty(who, route, path).status_code
    if status >= 500:
        return f"{route.method} {route.key} as {who}: {status}"
    if status not in (EMPTY_BODY_REFUSED if route.is_api else REFUSED):
        return f"{route.method} {route.key} as {who}: {status}, expected a refusal"
    return None


def _check_other_family(visitor: Visitor, world: World, route: Route, who: str) -> str | None:
    """The same route with the other family's ids, by someone entitled on their own: 404."""
    path = route.fill(world.ids(who, family="other"))
    assert path is not None
    response = visitor.get(who, route, path) if route.method == "GET" else None
    if response is None or response.status_code == 405:
        response = visitor.send_empty(who, route, path)
    body = body_of(response)
    expected = {404, 422} if route.is_api and route.method != "GET" else {404}
    if response.status_code not in expected or b"Okafor" in body:
        named = " (names Okafor)" if b"Okafor" in body else ""
        return f"{route.key} with the other family's ids as {who}: {response.status_code}{named}"
    return None


def test_the_matrix_holds(client: Client, world: World) -> None:
    routes, unlisted = all_routes(client)
    assert not unlisted, "new route without an entry in the authorisation matrix: " + ", ".join(
        unlisted
    )
    visitor = Visitor(world)
    problems: list[str | None] = []
    checked = 0
    for route in routes:
        if route.rule.startswith("skip: "):
            continue
        if route.fill(world.own) is None:
            problems.append(f"{route.key}: cannot fill {route.kinds()}; furnish it or skip it")
            continue
        allowed = RULES[route.rule]
        for who in IDENTITIES:
            if route.method == "GET":
                problems.append(_check_get(visitor, world, route, who))
                checked += 1
            if who not in allowed and (route.method != "GET" or not route.is_api):
                problems.append(_check_post(visitor, world, route, who))
                checked += 1
            if route.rule in CASE_SCOPED and who in allowed:
                problems.append(_check_other_family(visitor, world, route, who))
                checked += 1
    print(f"checked {checked} route x identity requests")
    found = [problem for problem in problems if problem]
    assert not found, "\n".join(found)


# Staff-only lists that once answered portal users with an empty 200 instead of refusing them.
STAFF_LISTS = ("monitor_visits", "GET /api/v1/cases", "GET /api/v1/overrides", "GET /api/v1/visits")


@pytest.mark.parametrize("route_key", STAFF_LISTS)
def test_staff_lists_refuse_portal_users(client: Client, world: World, route_key: str) -> None:
    routes, _ = all_routes(client)
    route = next(r for r in routes if r.key == route_key)
    visitor = Visitor(world)
    for who in PORTAL:
        path = route.fill(world.ids(who))
        assert path is not None
        assert visitor.get(who, route, path).status_code in REFUSED, who
