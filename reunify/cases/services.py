"""Every write to a case: validate, save, audit, in one transaction.

Views, the API, the command line and the demo loader all call these functions; nothing else
saves a case model. Bad input raises `ValidationError` with a message a therapist can act on
and leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reunify import access
from reunify.accounts.models import Role, User
from reunify.accounts.qualifications import require_current_licence
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record, audit_record_list
from reunify.audit.recorded import recorded_create
from reunify.cases.models import (
    CONSENTING_ROLES,
    Cadence,
    Case,
    Consent,
    ConsentKind,
    CourtOrder,
    CourtTerm,
    DatedRating,
    DocumentReview,
    Intake,
    Party,
    PartyRole,
    Person,
    Phase,
    ReadinessLevel,
    ReadinessRating,
    ReferralSource,
    Scenario,
    TermKind,
    Transition,
    TransitionKind,
)

CLOSED_MESSAGE = "This case is closed; its record is read-only."
# A person's contact details, as the audit log names them (what they say never goes there).
CONTACT_FIELDS = ("email", "phone", "address", "workplace", "substitute_address")
SUBSTITUTE_UNPROTECTED = (
    "A substitute address stands in for a protected party's real one: mark the contact details "
    "as protected to record it."
)


def require_open(case: Case) -> None:
    """Refuse any write to a closed case (every app's services call this)."""
    if case.is_closed:
        raise ValidationError(CLOSED_MESSAGE)


def _require_not_future(day: dt.date, what: str) -> None:
    if day > timezone.localdate():
        raise ValidationError(f"The {what} date {day} is in the future.")


def effective_moment(day: dt.date) -> dt.datetime:
    """When a change dated `day` took effect: now when that is today, otherwise the first moment
    of that day (so it comes before anything else recorded on it)."""
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def effective_check(
    day: dt.date | None,
    *,
    referral_date: dt.date,
    previous: dt.date | None = None,
    previous_words: str = "",
) -> dt.date:
    """The day a change takes effect (today when not given), or a clear error: never in the
    future, never before the referral, never before the change it follows (`previous`)."""
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise ValidationError(
            _(
                "The date it took effect, %(day)s, is in the future: give the day it happened, "
                "today (%(today)s) at the latest."
            )
            % {"day": day, "today": today}
        )
    if day < referral_date:
        raise ValidationError(
            _(
                "The date it took effect, %(day)s, is before the referral on %(referral)s: "
                "nothing happens on a case before it is referred."
            )
            % {"day": day, "referral": referral_date}
        )
    if previous is not None and day < previous:
        raise ValidationError(
            _(
                "The date it took effect, %(day)s, is before %(previous_words)s, which took "
                "effect on %(previous)s: changes are recorded in the order they happened."
            )
            % {"day": day, "previous_words": previous_words, "previous": previous}
        )
    return day


def effective_day(case: Case, day: dt.date | None) -> dt.date:
    """The day a move of this case takes effect, checked against the case's previous move."""
    last = case.transitions.order_by("-effective_on", "-at", "-id").first()
    return effective_check(
        day,
        referral_date=case.referral_date,
        previous=last.effective_on if last else None,
        previous_words=_("the case's last change (%(what)s)")
        % {"what": last.get_kind_display().lower()}
        if last
        else "",
    )


def require_text(value: str, what: str) -> str:
    """The stripped text, or a clear error naming what is missing."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(f"{what} is required.")
    return value


def _text(value: str) -> str:
    """The stripped text, with a browser's CRLF line ends made plain newlines."""
    return (value or "").replace("\r\n", "\n").strip()


def _limited(value: str, what: str, limit: int) -> str:
    """The stripped text, which may be empty, or a clear error when it is longer than `limit`."""
    value = _text(value)
    if len(value) > limit:
        raise ValidationError(f"{what} is too long: at most {limit} characters.")
    return value


def _detail(field: str, what: str) -> Callable[[str], str]:
    """A check of one of a person's text details: stripped, and no longer than its field."""
    return lambda value: _limited(value, what, Person.length_of(field))


def _email(value: str) -> str:
    value = _limited(value, "E-mail", Person.length_of("email"))
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(
                "The e-mail address is not well-formed: write it like name@example.org."
            ) from None
    return value


def _date_of_birth(day: dt.date | None) -> dt.date | None:
    if day is not None:
        _require_not_future(day, "birth")
    return day


def _name(field: str, what: str) -> Callable[[str], str]:
    return lambda value: _limited(require_text(value, what), what, Person.length_of(field))


# A person's own details, each checked one way whether a party is being added or corrected.
_PERSON_CHECKS: dict[str, Callable[[Any], Any]] = {
    "first_name": _name("first_name", "First name"),
    "last_name": _name("last_name", "Last name"),
    "date_of_birth": _date_of_birth,
    "email": _email,
    "phone": _detail("phone", "Phone"),
    "address": _text,
    "workplace": _detail("workplace", "Workplace"),
    "substitute_address": _detail("substitute_address", "Substitute address"),
    "interpreter_needed": bool,
    "preferred_language": _detail("preferred_language", "Preferred language"),
}
# The same details in words, for messages (the protection flag is changed by `party_protect`).
PERSON_FIELD_WORDS = {
    "first_name": "first name",
    "last_name": "last name",
    "date_of_birth": "date of birth",
    "email": "e-mail",
    "phone": "phone",
    "address": "address",
    "workplace": "workplace",
    "substitute_address": "substitute address",
    "interpreter_needed": "interpreter flag",
    "preferred_language": "preferred language",
    "protected_address": "protection of the contact details",
}


def person_details_clean(given: dict[str, Any]) -> dict[str, Any]:
    """The details as they will be saved, or one error naming every field that is wrong (keyed
    by field, so a form shows each message beside its field)."""
    cleaned: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for field, value in given.items():
        try:
            cleaned[field] = _PERSON_CHECKS[field](value)
        except ValidationError as error:
            problems[field] = error.messages
    if problems:
        raise ValidationError(problems)
    return cleaned


class Unchanged(Enum):
    """A detail `person_update` leaves as it is (None is a value: no date of birth on record)."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


def case_lock(case: Case) -> Case:
    """Lock the case row and refresh the caller's instance, so two moves never interleave.

    The first lock of any write to a case (the lock order is in `reunify.transactions`); FOR NO
    KEY UPDATE, so rows added to the case meanwhile (their foreign-key checks) are not blocked."""
    Case.objects.select_for_update(no_key=True).filter(pk=case.pk).values_list(
        "pk", flat=True
    ).get()
    case.refresh_from_db()
    return case


def party_of(case: Case, party: Party, what: str = "") -> Party:
    """The party, if it belongs to this case; `what` names it in the refusal."""
    if party.case_id != case.pk:
        raise ValidationError(
            _("%(what)s does not belong to this case.") % {"what": what or _("That party")}
        )
    return party


@transaction.atomic
def case_open(
    *,
    actor: User,
    title: str,
    referral_source: str,
    referral_date: dt.date,
    referral_reason: str,
    court_ordered: bool,
    scenarios: list[str],
    therapist: User | None = None,
    evaluator: User | None = None,
    opened_on: dt.date | None = None,
) -> Case:
    """Open a case in assessment; `opened_on` is the day it opened (today when not given)."""
    if not access.may_create_case(actor):
        raise PermissionDenied("Only therapists and supervisors open cases.")
    therapist = therapist or actor
    if therapist.role not in (Role.THERAPIST, Role.SUPERVISOR) or not therapist.is_active:
        raise ValidationError(f"{therapist.username} is not an active therapist.")
    if evaluator is not None and evaluator.pk == therapist.pk:
        raise ValidationError(
            "One person cannot be both the evaluator and the treating therapist on a case."
        )
    require_current_licence(therapist)
    if referral_source not in ReferralSource.values:
        raise ValidationError(f"Unknown referral source {referral_source!r}.")
    unknown = [s for s in scenarios if s not in Scenario.values]
    if unknown:
        raise ValidationError(f"Unknown presenting scenario: {', '.join(unknown)}.")
    _require_not_future(referral_date, "referral")
    opened_on = effective_check(opened_on, referral_date=referral_date)
    now = effective_moment(opened_on)
    case = Case.objects.create(
        title=require_text(title, "A name for the case"),
        referral_source=referral_source,
        referral_date=referral_date,
        referral_reason=require_text(referral_reason, "The referral reason"),
        court_ordered=court_ordered,
        scenarios=sorted(set(scenarios)),
        therapist=therapist,
        evaluator=evaluator,
        phase=Phase.ASSESSMENT,
        phase_entered_at=now,
        opened_at=now,
    )
    Transition.objects.create(
        case=case,
        kind=TransitionKind.OPEN,
        to_phase=Phase.ASSESSMENT,
        actor=actor,
        at=timezone.now(),
        effective_on=opened_on,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CASE_OPEN,
        case_id=case.pk,
        obj=case,
        detail={
            "referral_source": referral_source,
            "court_ordered": court_ordered,
            "effective_on": opened_on,
        },
    )
    return case


@transaction.atomic
def co_therapist_add(*, actor: User, case: Case, user: User) -> Case:
    """Add a co-therapist: an active clinician with a current licence, never the evaluator."""
    access.require_co_therapist_management(actor, case)
    require_open(case)
    if user.role not in (Role.THERAPIST, Role.SUPERVISOR) or not user.is_active:
        raise ValidationError(f"{user.username} is not an active therapist.")
    if user.pk == case.evaluator_id:
        raise ValidationError(
            "One person cannot be both the evaluator and the treating therapist on a case."
        )
    if user.pk == case.therapist_id or case.co_therapists.filter(pk=user.pk).exists():
        raise ValidationError(f"{user.display_name} already treats this case.")
    require_current_licence(user)
    case.co_therapists.add(user)
    audit_record(
        actor=actor,
        action=AuditAction.CASE_CO_THERAPIST_ADD,
        case_id=case.pk,
        obj=case,
        detail={"user": user.username},
    )
    return case


@transaction.atomic
def co_therapist_remove(*, actor: User, case: Case, user: User) -> Case:
    """Take a co-therapist off the case; the therapist of record stays."""
    access.require_co_therapist_management(actor, case)
    require_open(case)
    if not case.co_therapists.filter(pk=user.pk).exists():
        raise ValidationError(
            _("%(name)s is not a co-therapist on this case.") % {"name": user.display_name}
        )
    case.co_therapists.remove(user)
    audit_record(
        actor=actor,
        action=AuditAction.CASE_CO_THERAPIST_REMOVE,
        case_id=case.pk,
        obj=case,
        detail={"user": user.username},
    )
    return case


# The same words whether the person does not exist, is out of sight or is protected elsewhere.
PERSON_NOT_REUSABLE = (
    "That person cannot be added from here: they are not in any case you can see, or their "
    "details are not all yours to see. Add them as a new person, or ask their treating therapist."
)


@transaction.atomic
def party_add(
    *,
    actor: User,
    case: Case,
    role: str,
    first_name: str = "",
    last_name: str = "",
    person: Person | None = None,
    date_of_birth: dt.date | None = None,
    email: str = "",
    phone: str = "",
    address: str = "",
    workplace: str = "",
    protected_address: bool = False,
    substitute_address: str = "",
    interpreter_needed: bool = False,
    preferred_language: str = "",
    organisation: str = "",
    represents: Party | None = None,
) -> Party:
    """Add someone to the case; pass `person` to give a person from another case a role here."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if role not in PartyRole.values:
        raise ValidationError(f"Unknown role {role!r}.")
    if represents is not None:
        party_of(case, represents)
        if role != PartyRole.ATTORNEY:
            raise ValidationError("Only an attorney acts for another party.")
    elif role == PartyRole.ATTORNEY:
        raise ValidationError("Name the party this attorney acts for.")
    details = {
        "first_name": first_name,
        "last_name": last_name,
        "date_of_birth": date_of_birth,
        "email": email,
        "phone": phone,
        "address": address,
        "workplace": workplace,
        "substitute_address": substitute_address,
        "interpreter_needed": interpreter_needed,
        "preferred_language": preferred_language,
    }
    if person is None:
        cleaned = person_details_clean(details)
        if cleaned["substitute_address"] and not protected_address:
            raise ValidationError(SUBSTITUTE_UNPROTECTED)
        person = Person.objects.create(**cleaned, protected_address=protected_address)
    elif not access.may_reuse_person(actor, person):
        raise ValidationError(PERSON_NOT_REUSABLE)
    else:
        _require_details_as_on_record(person, {**details, "protected_address": protected_address})
    if Party.objects.filter(case=case, person=person, role=role).exists():
        raise ValidationError(f"{person.full_name} already has that role in this case.")
    party = Party.objects.create(
        case=case,
        person=person,
        role=role,
        represents=represents,
        organisation=organisation.strip(),
        added_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.PARTY_ADD,
        case_id=case.pk,
        obj=party,
        # Which details are on record, never what they say: staff read the audit log.
        detail={
            "role": role,
            "protected_address": person.protected_address,
            "contact": [field for field in CONTACT_FIELDS if getattr(person, field)],
        },
    )
    return party


def _require_details_as_on_record(person: Person, given: dict[str, Any]) -> None:
    """Giving a known person a new role takes their details as they are: a detail given that
    differs is refused, never silently dropped, nor written over the person's other cases."""
    differ = [
        field
        for field, value in given.items()
        if value and (_text(value) if isinstance(value, str) else value) != getattr(person, field)
    ]
    if differ:
        words = ", ".join(PERSON_FIELD_WORDS[field] for field in differ)
        raise ValidationError(
            f"{person.full_name} is already on record, and what you gave differs from it "
            f"({words}). A person's details are theirs in every case they take part in: leave "
            "them out to give this role, then correct them with “Edit details” in the parties "
            "table of the case page (protection with “Protect contact details”)."
        )


@transaction.atomic
def person_update(
    *,
    actor: User,
    party: Party,
    first_name: str | Unchanged = UNCHANGED,
    last_name: str | Unchanged = UNCHANGED,
    date_of_birth: dt.date | None | Unchanged = UNCHANGED,
    email: str | Unchanged = UNCHANGED,
    phone: str | Unchanged = UNCHANGED,
    address: str | Unchanged = UNCHANGED,
    workplace: str | Unchanged = UNCHANGED,
    substitute_address: str | Unchanged = UNCHANGED,
    interpreter_needed: bool | Unchanged = UNCHANGED,
    preferred_language: str | Unchanged = UNCHANGED,
) -> list[str]:
    """Correct a party's details, leaving out what is not given; returns the fields changed.

    The details are the person's (one row), so the correction applies in every case the person
    takes part in; it is allowed to whoever may edit the case it is made through. Protection
    is changed by `party_protect`.
    """
    case = party.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    _require_may_change(actor, party)
    given = {
        "first_name": first_name,
        "last_name": last_name,
        "date_of_birth": date_of_birth,
        "email": email,
        "phone": phone,
        "address": address,
        "workplace": workplace,
        "substitute_address": substitute_address,
        "interpreter_needed": interpreter_needed,
        "preferred_language": preferred_language,
    }
    cleaned = person_details_clean(
        {field: value for field, value in given.items() if value is not UNCHANGED}
    )
    person = Person.objects.select_for_update(no_key=True).get(pk=party.person_id)
    changed = {field: value for field, value in cleaned.items() if value != getattr(person, field)}
    if changed.get("substitute_address") and not person.protected_address:
        raise ValidationError(SUBSTITUTE_UNPROTECTED)
    if not changed:
        return []
    Person.objects.filter(pk=person.pk).update(**changed)
    for field, value in changed.items():
        setattr(party.person, field, value)
    # One row on every case the person takes part in, so each one's timeline shows the change.
    for each in Party.objects.filter(person=person).order_by("case_id", "pk"):
        audit_record(
            actor=actor,
            action=AuditAction.PERSON_UPDATE,
            case_id=each.case_id,
            obj=each,
            # Which details changed, never what they say: staff read the audit log.
            detail={"fields": list(changed)},
        )
    return list(changed)


def _require_may_change(actor: User, party: Party) -> None:
    if not access.may_change_person(actor, party.person):
        raise ValidationError(
            f"{party.person.full_name}'s details are theirs in every case they take part in: "
            "only a therapist who treats each of those cases may change them. Nothing was saved."
        )


@transaction.atomic
def party_protect(
    *, actor: User, party: Party, protected: bool, substitute_address: str | None = None
) -> Party:
    """Mark (or unmark) a party's contact details as protected; on marking, record the
    substitute address the address-confidentiality programme gave (None leaves it as it is)."""
    case = party.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    _require_may_change(actor, party)
    changes: dict[str, Any] = {"protected_address": protected}
    detail: dict[str, Any] = {}
    if substitute_address is not None:
        if not protected:
            raise ValidationError(SUBSTITUTE_UNPROTECTED)
        changes["substitute_address"] = _PERSON_CHECKS["substitute_address"](substitute_address)
        if changes["substitute_address"] != party.person.substitute_address:
            detail["substitute_address"] = (
                "recorded" if changes["substitute_address"] else "removed"
            )
    Person.objects.filter(pk=party.person_id).update(**changes)
    for field, value in changes.items():
        setattr(party.person, field, value)
    audit_record(
        actor=actor,
        action=AuditAction.PARTY_PROTECT if protected else AuditAction.PARTY_UNPROTECT,
        case_id=case.pk,
        obj=party,
        detail=detail,
    )
    return party


@dataclass(frozen=True)
class TermInput:
    """One court term as entered: its kind, the date it lasts until or is due, and its words."""

    kind: str
    until: dt.date | None = None
    due_on: dt.date | None = None
    text: str = ""
    cadence: str = Cadence.ONCE
    every: int = 1


def _check_terms(terms: list[TermInput]) -> None:
    for term in terms:
        if term.kind not in TermKind.values:
            raise ValidationError(f"Unknown court term {term.kind!r}.")
        if term.kind == TermKind.SUPERVISED_UNTIL and term.until is None:
            raise ValidationError("A 'supervised contact only until' term needs its end date.")
        if term.kind == TermKind.REPORTING_DUTY and term.due_on is None:
            raise ValidationError("A reporting duty needs its due date.")
        if term.kind == TermKind.OTHER and not term.text.strip():
            raise ValidationError("Describe the term in words.")
        if term.cadence not in Cadence.values:
            raise ValidationError(_("Unknown cadence %(cadence)r.") % {"cadence": term.cadence})
        if term.cadence != Cadence.ONCE and term.kind != TermKind.REPORTING_DUTY:
            raise ValidationError(_("Only a reporting duty recurs."))
        limit = 52 if term.cadence == Cadence.WEEKS else 12
        if term.cadence != Cadence.ONCE and not 1 <= term.every <= limit:
            raise ValidationError(
                _("A recurring report is due every 1 to %(limit)s %(unit)s.")
                % {
                    "limit": limit,
                    "unit": _("weeks") if term.cadence == Cadence.WEEKS else _("months"),
                }
            )


def _add_terms(order: CourtOrder, terms: list[TermInput], starts_on: dt.date | None) -> None:
    for term in terms:
        CourtTerm.objects.create(
            order=order,
            kind=term.kind,
            until=term.until,
            due_on=term.due_on,
            text=term.text.strip(),
            cadence=term.cadence,
            every=term.every if term.cadence != Cadence.ONCE else 1,
            starts_on=starts_on,
        )


def _create_order(
    *,
    actor: User,
    case: Case,
    court: str,
    court_case_number: str,
    issued_on: dt.date,
    terms: list[TermInput],
    judge: str,
    supersedes: CourtOrder | None = None,
) -> CourtOrder:
    _require_not_future(issued_on, "order's issue")
    _check_terms(terms)
    number = (
        case.court_orders.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    order = CourtOrder.objects.create(
        case=case,
        number=number,
        court=require_text(court, "The court"),
        court_case_number=require_text(court_case_number, "The court case number"),
        judge=judge.strip(),
        issued_on=issued_on,
        recorded_at=timezone.now(),
        supersedes=supersedes,
    )
    _add_terms(order, terms, None)
    return order


@transaction.atomic
def court_order_record(
    *,
    actor: User,
    case: Case,
    court: str,
    court_case_number: str,
    issued_on: dt.date,
    terms: list[TermInput],
    judge: str = "",
) -> CourtOrder:
    """Record a court order; a no-contact term in force pauses the case at once."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    case = case_lock(case)
    order = _create_order(
        actor=actor,
        case=case,
        court=court,
        court_case_number=court_case_number,
        issued_on=issued_on,
        terms=terms,
        judge=judge,
    )
    audit_record(
        actor=actor,
        action=AuditAction.COURT_ORDER_RECORD,
        case_id=case.pk,
        obj=order,
        detail={"number": order.number, "terms": [t.kind for t in terms]},
    )
    return order


def _order_locked(actor: User, order: CourtOrder) -> tuple[Case, CourtOrder]:
    access.require(actor, access.Action.EDIT, order.case)
    require_open(order.case)
    case = case_lock(order.case)
    return case, CourtOrder.objects.select_for_update(no_key=True).get(pk=order.pk)


def _change_date(order: CourtOrder, day: dt.date, what: str) -> None:
    """A change to an order is recorded once it has taken effect, and not before the order."""
    _require_not_future(day, what)
    if day < order.issued_on:
        raise ValidationError(
            _("The %(what)s date %(day)s is before court order %(number)s was issued (%(issued)s).")
            % {"what": what, "day": day, "number": order.number, "issued": order.issued_on}
        )


def _terms_of(order: CourtOrder, terms: list[CourtTerm]) -> list[CourtTerm]:
    ids = {t.pk for t in terms}
    found = list(CourtTerm.objects.select_for_update(no_key=True).filter(order=order, pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError(
            _("A term named is not a term of court order %(number)s.") % {"number": order.number}
        )
    ended = [t for t in found if t.ended_on is not None]
    if ended:
        raise ValidationError(
            _("The term '%(term)s' has already ended.") % {"term": ended[0].describe()}
        )
    return found


def _end_terms(
    terms: list[CourtTerm], day: dt.date, reason: str, replaced_by: CourtOrder | None = None
) -> None:
    CourtTerm.objects.filter(pk__in=[t.pk for t in terms]).update(
        ended_on=day, end_reason=reason, replaced_by=replaced_by
    )


@transaction.atomic
def court_order_end(
    *, actor: User, order: CourtOrder, ended_on: dt.date, reason: str
) -> CourtOrder:
    """The court ends an order: from `ended_on` none of its terms applies. The order and its
    terms stay in the record, shown as ended."""
    case, order = _order_locked(actor, order)
    if order.ended_on is not None:
        raise ValidationError(
            _("Court order %(number)s already ended on %(day)s.")
            % {"number": order.number, "day": order.ended_on}
        )
    _change_date(order, ended_on, _("end"))
    reason = require_text(reason, _("The reason the order ended"))
    CourtOrder.objects.filter(pk=order.pk).update(ended_on=ended_on, end_reason=reason)
    open_terms = list(order.terms.filter(ended_on__isnull=True))
    _end_terms(open_terms, ended_on, reason)
    order.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.COURT_ORDER_END,
        case_id=case.pk,
        obj=order,
        detail={"number": order.number, "ended_on": ended_on, "terms": [t.pk for t in open_terms]},
    )
    return order


def _require_in_effect(order: CourtOrder) -> None:
    if order.ended_on is not None:
        raise ValidationError(
            _("Court order %(number)s ended on %(day)s; it can no longer be changed.")
            % {"number": order.number, "day": order.ended_on}
        )


@transaction.atomic
def court_order_amend(
    *,
    actor: User,
    order: CourtOrder,
    effective_on: dt.date,
    reason: str,
    add_terms: list[TermInput] | None = None,
    end_terms: list[CourtTerm] | None = None,
) -> CourtOrder:
    """The court amends an order: from `effective_on` the terms named end and the new terms
    apply. A new no-contact term in force pauses the case at once."""
    case, order = _order_locked(actor, order)
    _require_in_effect(order)
    _change_date(order, effective_on, _("amendment"))
    reason = require_text(reason, _("The reason for the amendment"))
    add_terms, end_terms = add_terms or [], end_terms or []
    if not add_terms and not end_terms:
        raise ValidationError(_("Name a term to end or a term to add."))
    _check_terms(add_terms)
    ending = _terms_of(order, end_terms)
    _end_terms(ending, effective_on, reason)
    _add_terms(order, add_terms, effective_on)
    audit_record(
        actor=actor,
        action=AuditAction.COURT_ORDER_AMEND,
        case_id=case.pk,
        obj=order,
        detail={
            "number": order.number,
            "effective_on": effective_on,
            "ended": [t.pk for t in ending],
            "added": [t.kind for t in add_terms],
            "reason": reason,
        },
    )
    return order


@transaction.atomic
def court_order_supersede(
    *,
    actor: User,
    order: CourtOrder,
    court: str,
    court_case_number: str,
    issued_on: dt.date,
    terms: list[TermInput],
    replaces: list[CourtTerm],
    effective_on: dt.date,
    judge: str = "",
) -> CourtOrder:
    """Record a later order that supersedes `order`: the terms of the old order it `replaces`
    stop on `effective_on` (on or after the new order's issue), and the new order records which
    order it supersedes. Terms not replaced stay in force; the old order stays in the record."""
    case, order = _order_locked(actor, order)
    _require_in_effect(order)
    if not replaces:
        raise ValidationError(_("Name the terms of the earlier order that the new one replaces."))
    _require_not_future(issued_on, "order's issue")
    if issued_on < order.issued_on:
        raise ValidationError(
            _("A superseding order is issued on or after the order it replaces (%(day)s).")
            % {"day": order.issued_on}
        )
    _change_date(order, effective_on, _("supersession"))
    if effective_on < issued_on:
        raise ValidationError(
            _("The terms are replaced from a day on or after the new order's issue (%(day)s).")
            % {"day": issued_on}
        )
    replaced = _terms_of(order, replaces)
    new = _create_order(
        actor=actor,
        case=case,
        court=court,
        court_case_number=court_case_number,
        issued_on=issued_on,
        terms=terms,
        judge=judge,
        supersedes=order,
    )
    _end_terms(
        replaced,
        effective_on,
        _("replaced by court order %(number)s") % {"number": new.number},
        replaced_by=new,
    )
    audit_record(
        actor=actor,
        action=AuditAction.COURT_ORDER_SUPERSEDE,
        case_id=case.pk,
        obj=new,
        detail={
            "number": new.number,
            "supersedes": order.number,
            "replaced": [t.pk for t in replaced],
            "effective_on": effective_on,
            "terms": [t.kind for t in terms],
        },
    )
    return new


@transaction.atomic
def intake_record(
    *,
    actor: User,
    case: Case,
    party: Party,
    held_on: dt.date,
    appointment: Any = None,
) -> Intake:
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    party_of(case, party)
    if party.role not in (*CONSENTING_ROLES, PartyRole.CHILD, PartyRole.EXTENDED_FAMILY):
        raise ValidationError("Intakes are held with family members, not with professionals.")
    _require_not_future(held_on, "intake")
    intake = recorded_create(
        Intake,
        actor=actor,
        action=AuditAction.INTAKE_RECORD,
        case_id=case.pk,
        detail={"party": party.pk, "held_on": held_on},
        case=case,
        party=party,
        held_on=held_on,
        appointment=appointment,
    )
    return intake


@transaction.atomic
def consent_record(
    *, actor: User, case: Case, party: Party, kind: str, signed_on: dt.date
) -> Consent:
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    party_of(case, party)
    if kind not in ConsentKind.values:
        raise ValidationError(f"Unknown consent document {kind!r}.")
    if party.role not in CONSENTING_ROLES:
        raise ValidationError(
            f"{party.get_role_display()} is not an adult family party who signs consents."
        )
    _require_not_future(signed_on, "signature")
    consent = recorded_create(
        Consent,
        actor=actor,
        action=AuditAction.CONSENT_RECORD,
        case_id=case.pk,
        detail={"party": party.pk, "kind": kind},
        case=case,
        party=party,
        kind=kind,
        signed_on=signed_on,
    )
    return consent


@transaction.atomic
def document_review_record(
    *,
    actor: User,
    case: Case,
    reviewed_on: dt.date,
    none_provided: bool,
    description: str = "",
) -> DocumentReview:
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    _require_not_future(reviewed_on, "review")
    if not none_provided and not description.strip():
        raise ValidationError(
            "Say which documents were reviewed, or record that none were provided."
        )
    review = recorded_create(
        DocumentReview,
        actor=actor,
        action=AuditAction.DOCUMENT_REVIEW_RECORD,
        case_id=case.pk,
        detail={"none_provided": none_provided},
        case=case,
        reviewed_on=reviewed_on,
        none_provided=none_provided,
        description=description.strip(),
    )
    return review


def require_record_day(day: dt.date, what: str, case: Case) -> None:
    """A day something about the case was judged or answered: from the referral to today."""
    if day > timezone.localdate():
        raise ValidationError(
            _("The %(what)s date %(day)s is in the future.") % {"what": what, "day": day}
        )
    if day < case.referral_date:
        raise ValidationError(
            _("The %(what)s date %(day)s is before the case was referred (%(referral)s).")
            % {"what": what, "day": day, "referral": case.referral_date}
        )


R = TypeVar("R", bound=DatedRating)


def rating_save(
    *,
    actor: User,
    case: Case,
    model: type[R],
    rated_on: dt.date,
    note: str,
    action: str,
    detail: dict[str, Any],
    **fields: Any,
) -> R:
    """Save a dated rating (readiness, willingness, alignment) the caller has checked, with the
    rules every rating shares, and its audit event. The caller holds the transaction."""
    require_record_day(rated_on, "rating", case)
    rating = recorded_create(
        model,
        actor=actor,
        action=action,
        case_id=case.pk,
        detail=detail,
        case=case,
        rated_on=rated_on,
        note=note.strip(),
        **fields,
    )
    return rating


@transaction.atomic
def readiness_record(
    *, actor: User, case: Case, party: Party, level: str, rated_on: dt.date, note: str = ""
) -> ReadinessRating:
    """Rate a family member's readiness for contact (or record the child's own word)."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    party_of(case, party)
    if level not in ReadinessLevel.values:
        raise ValidationError(f"Unknown readiness level {level!r}.")
    if party.role not in (*CONSENTING_ROLES, PartyRole.CHILD, PartyRole.EXTENDED_FAMILY):
        raise ValidationError("Readiness is rated for family members only.")
    return rating_save(
        actor=actor,
        case=case,
        model=ReadinessRating,
        rated_on=rated_on,
        note=note,
        action=AuditAction.READINESS_RECORD,
        detail={"party": party.pk, "level": level},
        party=party,
        level=level,
    )


def case_view(*, actor: User, case: Case, what: str = "case") -> None:
    """Record that someone looked at the case (every case page and API read calls this)."""
    audit_record(
        actor=actor, action=AuditAction.CASE_VIEW, case_id=case.pk, obj=case, detail={"what": what}
    )


def case_views(*, actor: User, cases: list[Case], what: str) -> None:
    """Record that someone saw a list of cases: ONE event naming the list and the cases on
    it, not a look at each case (each case's "who looked" still shows the list)."""
    if cases:
        audit_record_list(
            actor=actor,
            action=AuditAction.CASE_LIST_VIEW,
            case_ids=[c.pk for c in cases],
            detail={"what": what},
        )
