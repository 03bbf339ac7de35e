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
    from reunify.accounts.models import User
    from reunify.cases.models import Case, CaseQuerySet


class Action(StrEnum):
    VIEW = "view"  # read the case record
    EDIT = "edit"  # record, move, pause, resume, close
    COSIGN = "cosign"  # co-sign a readiness override


def _is_staff_member(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


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
    if action == Action.EDIT:
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

    return Case.objects.for_user(user)


def case_get(user: User, case_id: int, action: Action = Action.VIEW) -> Case:
    """The case with this id if the user may perform the action on it; 404/403 otherwise."""
    case = cases_for(user).select_related("therapist").filter(pk=case_id).first()
    if case is None:
        raise Http404("No such case.")
    if action != Action.VIEW:
        require(user, action, case)
    return case


def may_create_case(user: User) -> bool:
    return _is_staff_member(user) and user.role in (Role.THERAPIST, Role.SUPERVISOR)


def may_see_contact(user: User, case: Case, person: Any) -> bool:
    """Contact details of a protected person are for the treating therapists only."""
    if not getattr(person, "protected_address", False):
        return can(user, Action.VIEW, case)
    return can(user, Action.EDIT, case)
