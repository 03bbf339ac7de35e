"""Who may do what to which case: the one authorisation module, deny by default.

Every view, API endpoint, service and command asks here. A case the user may not see answers
404 (its existence is not confirmed); a case they may see but not change answers 403.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from reunify.accounts.models import Role

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from reunify.accounts.models import User
    from reunify.cases.models import Case, CaseQuerySet, Party
    from reunify.clinical.models import Appointment, PsychotherapyNote


class Action(StrEnum):
    VIEW = "view"  # read the case record
    EDIT = "edit"  # record, move, pause, resume, close
    COSIGN = "cosign"  # co-sign a readiness override
    RECORD = "record"  # record what happened at a contact visit (therapists and its monitor)


def _is_staff_member(user: Any) -> bool:
    # Portal users (family members, legal parties) are never staff: they see their own
    # parties through reunify.portal, and nothing of the staff side.
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "role", None) != Role.PORTAL
    )


def case_visibility(user: User) -> Q:
    """The filter for the cases a user may see at all; matches nothing for anyone else."""
    if not _is_staff_member(user):
        return Q(pk__in=[])
    from reunify.cases.models import Case

    treating = Q(therapist=user) | Q(
        pk__in=Case.co_therapists.through.objects.filter(user=user).values("case_id")
    )
    if user.role == Role.THERAPIST:
        return treating | Q(evaluator=user)
    if user.role == Role.SUPERVISOR:
        return treating | Q(evaluator=user) | Q(therapist__supervisor=user)
    return Q(pk__in=[])


def _is_treating(user: User, case: Case) -> bool:
    if case.therapist_id == user.pk:
        return True
    return case.co_therapists.filter(pk=user.pk).exists()


def can(user: User, action: Action, case: Case) -> bool:
    if not _is_staff_member(user) or user.role not in (Role.THERAPIST, Role.SUPERVISOR):
        return False
    if action == Action.VIEW:
        from reunify.cases.models import Case

        return Case.objects.filter(case_visibility(user), pk=case.pk).exists()
    if action in (Action.EDIT, Action.RECORD):
        return _is_treating(user, case)
    if action == Action.COSIGN:
        return user.role == Role.SUPERVISOR and case.therapist.supervisor_id == user.pk
    return False


def require(user: User, action: Action, case: Case) -> None:
    """Raise 404 when the case is out of the user's sight, 403 when the action is not theirs."""
    if action != Action.VIEW and can(user, action, case):
        return
    if not can(user, Action.VIEW, case):
        raise Http404("No such case.")
    if action != Action.VIEW:
        raise PermissionDenied(f"You may not {action} this case.")


def cases_for(user: User) -> CaseQuerySet:
    from reunify.cases.models import Case

    return Case.objects.filter(case_visibility(user))


def case_get(user: User, case_id: int, action: Action = Action.VIEW) -> Case:
    """The case with this id if the user may perform the action on it; 404/403 otherwise."""
    case = cases_for(user).select_related("therapist").filter(pk=case_id).first()
    if case is None:
        raise Http404("No such case.")
    if action != Action.VIEW:
        require(user, action, case)
    return case


def may_manage_co_therapists(user: User, case: Case) -> bool:
    """Who brings a co-therapist onto a case or takes one off: the therapist of record, or the
    clinical supervisor of that therapist; never a co-therapist themselves."""
    if not _is_staff_member(user) or user.role not in (Role.THERAPIST, Role.SUPERVISOR):
        return False
    if case.therapist_id == user.pk:
        return True
    return user.role == Role.SUPERVISOR and case.therapist.supervisor_id == user.pk


def require_co_therapist_management(user: User, case: Case) -> None:
    """404 when the case is out of sight, 403 when its co-therapists are not this user's to
    change."""
    if may_manage_co_therapists(user, case):
        return
    if not can(user, Action.VIEW, case):
        raise Http404("No such case.")
    raise PermissionDenied(
        "Only the therapist of record or their clinical supervisor changes the co-therapists."
    )


def may_create_case(user: User) -> bool:
    return _is_staff_member(user) and user.role in (Role.THERAPIST, Role.SUPERVISOR)


def may_read_library(user: User) -> bool:
    """The psychoeducation library holds no case data: every member of staff may read it."""
    return _is_staff_member(user)


def may_edit_library(user: User) -> bool:
    """The practice's texts for families are edited by its administrators and supervisors."""
    return _is_staff_member(user) and user.role in (Role.ADMIN, Role.SUPERVISOR)


def may_see_contact(user: User, case: Case, person: Any) -> bool:
    """Contact details (e-mail, phone, address, workplace) of a protected person are for the
    treating therapists only."""
    if not getattr(person, "protected_address", False):
        return can(user, Action.VIEW, case)
    return can(user, Action.EDIT, case)


def _cases_of(person: Any) -> list[Case]:
    from reunify.cases.models import Case

    return list(Case.objects.filter(parties__person=person).select_related("therapist").distinct())


def may_reuse_person(user: User, person: Any) -> bool:
    """Giving a known person a role in another case shows that case's staff their details: only
    for someone who may see those details in every case the person already takes part in (a
    protected person can be brought along by their treating therapist only)."""
    cases = _cases_of(person)
    return bool(cases) and all(may_see_contact(user, case, person) for case in cases)


def may_change_person(user: User, person: Any) -> bool:
    """A person's details and protection are theirs in every case they take part in: only
    someone who may edit each of those cases changes them."""
    cases = _cases_of(person)
    return bool(cases) and all(can(user, Action.EDIT, case) for case in cases)


def may_see_substitute_address(user: User, case: Case, person: Any) -> bool:
    """An address-confidentiality programme's substitute address exists to be used in place of
    the real one, so whoever may see the case sees it; a portal user sees only their own (through
    reunify.portal), never another party's."""
    return can(user, Action.VIEW, case)


def appointment_visibility(user: User) -> Q:
    """The appointments a user may see: those of visible cases, and a monitor's own visits."""
    if not _is_staff_member(user):
        return Q(pk__in=[])
    from reunify.cases.models import Case

    visible_cases = Case.objects.filter(case_visibility(user)).values("pk")
    return Q(case__in=visible_cases) | Q(monitor=user)


def require_appointment(user: User, action: Action, appointment: Appointment) -> None:
    """A monitor may see and record their own visits and nothing else on the case."""
    is_monitor = _is_staff_member(user) and appointment.monitor_id == user.pk
    if action == Action.VIEW and is_monitor:
        return
    if action == Action.RECORD and is_monitor and user.role == Role.MONITOR:
        return
    case_action = Action.EDIT if action == Action.RECORD else action
    if is_monitor and not can(user, Action.VIEW, appointment.case):
        raise PermissionDenied(f"You may not {action} this visit.")
    require(user, case_action, appointment.case)


def may_read_psychotherapy_note(user: User, note: PsychotherapyNote) -> bool:
    """Only the author; their supervisor too once the author has shared it."""
    if not _is_staff_member(user):
        return False
    if note.author_id == user.pk:
        return True
    return bool(
        note.shared_with_supervisor
        and user.role == Role.SUPERVISOR
        and note.author.supervisor_id == user.pk
    )


def psychotherapy_note_visibility(user: User) -> Q:
    if not _is_staff_member(user):
        return Q(pk__in=[])
    shared = (
        Q(shared_with_supervisor=True, author__supervisor=user)
        if user.role == Role.SUPERVISOR
        else Q(pk__in=[])
    )
    return Q(author=user) | shared


def may_manage_qualifications(user: User) -> bool:
    """Licences and training are recorded by the practice's administrators and supervisors."""
    return _is_staff_member(user) and user.role in (Role.ADMIN, Role.SUPERVISOR)


def may_manage_instruments(user: User) -> bool:
    """Questionnaires the practice holds a licence for are loaded by administrators and
    supervisors; every clinician may read and use them."""
    return _is_staff_member(user) and user.role in (Role.ADMIN, Role.SUPERVISOR)


def may_use_instruments(user: User) -> bool:
    return _is_staff_member(user) and user.role in (Role.ADMIN, Role.THERAPIST, Role.SUPERVISOR)


def may_read_checkins(user: User, case: Case) -> bool:
    """The child's private check-ins are for the treating therapists alone: not the
    supervisor, not the evaluator, never a party, never a report."""
    if not _is_staff_member(user) or user.role not in (Role.THERAPIST, Role.SUPERVISOR):
        return False
    return _is_treating(user, case)


def may_read_letters(user: User, case: Case) -> bool:
    """The content of letters exchanged on the ladder is clinical: the treating therapists
    read it; the supervisor sees that letters were exchanged (dates, decisions), not what
    they say."""
    return may_read_checkins(user, case)


def checkin_visibility(user: User) -> Q:
    """The filter for the cases whose check-ins (and the tasks they raise) this user sees."""
    if not _is_staff_member(user) or user.role not in (Role.THERAPIST, Role.SUPERVISOR):
        return Q(pk__in=[])
    from reunify.cases.models import Case

    return Q(therapist=user) | Q(
        pk__in=Case.co_therapists.through.objects.filter(user=user).values("case_id")
    )


def checkin_case_get(user: User, case_id: int) -> Case:
    """The case, if this user may read and record its child's check-ins; 404 otherwise, so
    that even their existence is not confirmed to anyone else."""
    case = cases_for(user).select_related("therapist").filter(pk=case_id).first()
    if case is None or not may_read_checkins(user, case):
        raise Http404("No such case.")
    return case


def require_staff(user: User) -> None:
    """Refuse anyone who is not a member of the practice's staff (portal users included)."""
    from reunify.accounts.models import STAFF_ROLES

    if not (_is_staff_member(user) and user.role in STAFF_ROLES):
        raise PermissionDenied("This is for the practice's staff.")


# The portal: family members and legal parties -------------------------------------------------


def portal_parties(user: User) -> QuerySet[Party]:
    """The parties a portal user acts as: one per accepted, unrevoked invitation."""
    from reunify.cases.models import Party

    if not (user.is_authenticated and user.is_active and user.role == Role.PORTAL):
        return Party.objects.none()
    return (
        Party.objects.filter(
            invitations__accepted_by=user,
            invitations__accepted_at__isnull=False,
            invitations__revoked_at__isnull=True,
        )
        .select_related("person", "case__therapist")
        .distinct()
    )


def portal_party_get(user: User, party_id: int) -> Party:
    """One of the user's own parties, or 404 (someone else's party is never confirmed)."""
    party = portal_parties(user).filter(pk=party_id).first()
    if party is None:
        raise Http404("No such case in your portal.")
    return party


def require_portal(user: User) -> None:
    """Refuse anyone who is not a portal user (staff included: the portal is not theirs)."""
    if not (user.is_authenticated and user.is_active and user.role == Role.PORTAL):
        raise PermissionDenied("The portal is for family members and legal parties.")
