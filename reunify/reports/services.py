"""Issuing reports and notices, opening them again, and checking a copy: validate, render,
store, audit and log the disclosures, in one transaction.

An issued PDF is kept byte for byte in the documents folder (outside the web root) with its
SHA-256; the row that names it is never changed (the database refuses). The file takes its stored
name only when the transaction commits and is removed if it rolls back (`documents.storage`).
A custody opinion never goes into one: the text the therapist writes into a report or a notice
is checked for its words and refused.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from reunify import access
from reunify.accounts.models import User
from reunify.accounts.qualifications import qualification_of
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.cases.models import Case, Outcome, Party, PartyRole, Phase, ReferralSource
from reunify.cases.services import case_lock
from reunify.clinical.services import opinion_words
from reunify.disclosure.models import REDISCLOSURE_NOTICE, Category, Channel, Release
from reunify.disclosure.selectors import covering_release, covering_releases
from reunify.disclosure.services import disclosure_record
from reunify.documents import storage
from reunify.reports import selectors
from reunify.reports.models import IssuedReport, NoticeKind, TerminationNotice
from reunify.reports.render import Rendered, pdf_render

logger = logging.getLogger(__name__)

# An issued PDF is ours, not an upload: this only guards against a runaway render.
MAX_PDF_BYTES = 50 * 1024 * 1024
SHA256 = re.compile(r"\A[0-9a-f]{64}\Z")


class IssuedUnavailable(Exception):
    """An issued PDF is missing or no longer matches its SHA-256: not served."""


def _practice() -> str:
    return str(settings.REUNIFY_PRACTICE_NAME)


def _verify_url() -> str:
    base = str(getattr(settings, "REUNIFY_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}/verify" if base else ""


def _refuse_opinion(text: str, what: str) -> None:
    phrases = opinion_words(text)
    if phrases:
        quoted = ", ".join(f"“{p}”" for p in phrases)
        raise ValidationError(
            f"{what} contains words of a custody opinion ({quoted}). Reports and notices "
            "describe what happened in therapy and never recommend custody or parenting time: "
            "rephrase it in terms of facts."
        )


M = TypeVar("M", IssuedReport, TerminationNotice)


def _kept(rendered: Rendered, save: Callable[[storage.Written], M]) -> M:
    """Write the PDF, then its row (through `save`), in the caller's transaction."""
    written = storage.file_write([rendered.pdf], suffix=".pdf", max_bytes=MAX_PDF_BYTES)
    return save(written)


# Court progress reports -----------------------------------------------------------------------


def report_recipients(case: Case, *, substance_use: bool = False) -> list[tuple[Party, Release]]:
    """Each legal party with a release or court order covering court reports today (two
    queries however many parties)."""
    parties = selectors.legal_parties(case)
    releases = covering_releases(parties, Category.COURT_REPORTS, substance_use=substance_use)
    return [(party, releases[party.pk]) for party in parties if party.pk in releases]


def _check_period(case: Case, start: dt.date | None, end: dt.date | None) -> None:
    if start is None or end is None:
        raise ValidationError("Give the first and the last day of the period the report covers.")
    if start > end:
        raise ValidationError(
            f"The period starts on {start}, after it ends on {end}: the first day comes first."
        )
    today = timezone.localdate()
    if end > today:
        raise ValidationError(
            f"The period ends on {end}, after today ({today}); a report covers only what has "
            "already happened."
        )
    if end < case.referral_date:
        raise ValidationError(
            f"The period ends on {end}, before the case was referred on {case.referral_date}; "
            "there is nothing to report."
        )


@dataclass(frozen=True)
class Signature:
    """Who signs a report: the therapist's name and licence (type, number, state), or why
    they cannot sign one (`problem`)."""

    name: str
    licence: str = ""
    number: str = ""
    state: str = ""
    problem: str = ""


def report_signature(actor: User) -> Signature:
    """The signature a report issued by `actor` carries, from their qualifications."""
    qualification = qualification_of(actor)
    name = actor.display_name
    if qualification is None:
        return Signature(
            name,
            problem=_(
                "%(name)s has no licence on file: a court report is signed with the therapist's "
                "licence type, number and state. Ask the practice administrator to record it "
                "under Qualifications, then issue the report."
            )
            % {"name": name},
        )
    if qualification.is_expired(timezone.localdate()):
        return Signature(
            name,
            problem=_(
                "%(name)s's licence (%(licence)s) expired on %(expired)s: a court report is "
                "signed with a current licence. Record the renewal under Qualifications, then "
                "issue the report."
            )
            % {
                "name": name,
                "licence": str(qualification),
                "expired": qualification.licence_expires_on,
            },
        )
    return Signature(
        name,
        licence=qualification.licence_label,
        number=qualification.licence_number,
        state=qualification.licence_state,
    )


@dataclass(frozen=True)
class ReportRequest:
    """A report as the therapist asked for it, checked: the period, the summary and the
    recipients it goes to, each with the release or court order that covers them."""

    case: Case
    start: dt.date
    end: dt.date
    summary: str
    substance_use: bool
    recipients: list[tuple[Party, Release]]


def report_request_check(
    *,
    actor: User,
    case: Case,
    start: dt.date | None,
    end: dt.date | None,
    summary: str,
    substance_use: bool = False,
    recipients: list[Party] | None = None,
) -> ReportRequest:
    """The report asked for, or a clear error; `recipients` None means everyone a release or
    court order covers (a recipient chosen must be one of them)."""
    access.require(actor, access.Action.EDIT, case)
    if case.is_closed:
        raise ValidationError(
            "This case is closed; its record is read-only. Its notices of closing went to each "
            "parent and to the court or referrer."
        )
    summary = (summary or "").strip()
    if not summary:
        raise ValidationError(
            "Write your summary of the period: it is signed with the report and is what the "
            "court reads first."
        )
    _refuse_opinion(summary, "The summary")
    _check_period(case, start, end)
    assert start is not None and end is not None
    covered = report_recipients(case, substance_use=substance_use)
    if recipients is not None:
        chosen = {party.pk for party in recipients}
        unknown = [p for p in recipients if p.pk not in {party.pk for party, _r in covered}]
        if unknown:
            names = ", ".join(p.person.full_name for p in unknown)
            raise ValidationError(
                _(
                    "A report goes only to a legal party whose release of information or court "
                    "order covers court reports today%(substance)s; not to %(names)s."
                )
                % {
                    "names": names,
                    "substance": _(" and substance-use information") if substance_use else "",
                }
            )
        covered = [(party, release) for party, release in covered if party.pk in chosen]
    return ReportRequest(case, start, end, summary, substance_use, covered)


def _report_render(
    actor: User, asked: ReportRequest, number: int, now: dt.datetime, *, preview: bool
) -> Rendered:
    return pdf_render(
        "reports/pdf/report.html",
        {
            "facts": selectors.report_facts(asked.case, asked.start, asked.end),
            "number": number,
            "summary": asked.summary,
            "signature": report_signature(actor),
            "therapist": actor.display_name,
            "therapist_role": actor.get_role_display(),
            "practice": _practice(),
            "issued_at": timezone.localtime(now),
            "issued_on": timezone.localdate(now),
            "recipients": asked.recipients,
            "verify_url": _verify_url(),
            "substance_notice": REDISCLOSURE_NOTICE if asked.substance_use else "",
            "preview": preview,
        },
    )


def _next_number(case: Case) -> int:
    latest = IssuedReport.objects.filter(case=case).aggregate(n=Max("number"))["n"]
    return (latest or 0) + 1


@transaction.atomic
def report_preview(
    *,
    actor: User,
    case: Case,
    start: dt.date | None,
    end: dt.date | None,
    summary: str,
    substance_use: bool = False,
    recipients: list[Party] | None = None,
) -> Rendered:
    """The report as it would be issued now, marked PREVIEW — NOT ISSUED on every page: not
    signed, hashed, kept or disclosed to anyone; only the look at it is audited."""
    asked = report_request_check(
        actor=actor,
        case=case,
        start=start,
        end=end,
        summary=summary,
        substance_use=substance_use,
        recipients=recipients,
    )
    rendered = _report_render(actor, asked, _next_number(case), timezone.now(), preview=True)
    audit_record(
        actor=actor,
        action=AuditAction.REPORT_PREVIEW,
        case_id=case.pk,
        obj=case,
        detail={
            "start": asked.start,
            "end": asked.end,
            "pages": rendered.pages,
            "recipients": [party.pk for party, _r in asked.recipients],
        },
    )
    return rendered


@transaction.atomic
def report_issue(
    *,
    actor: User,
    case: Case,
    start: dt.date | None,
    end: dt.date | None,
    summary: str,
    substance_use: bool = False,
    recipients: list[Party] | None = None,
) -> IssuedReport:
    """Issue a court progress report for a period: built from signed records, rendered to PDF,
    signed by the issuing therapist with their current licence, kept byte for byte with its
    SHA-256, and logged as a disclosure to each recipient chosen (`recipients`; None: each
    one a release or court order covers)."""
    asked = report_request_check(
        actor=actor,
        case=case,
        start=start,
        end=end,
        summary=summary,
        substance_use=substance_use,
        recipients=recipients,
    )
    signature = report_signature(actor)
    if signature.problem:
        raise ValidationError(signature.problem)
    start, end, summary = asked.start, asked.end, asked.summary
    case = case_lock(case)
    number_next = _next_number(case)
    recipients_covered = asked.recipients
    now = timezone.now()
    rendered = _report_render(actor, asked, number_next, now, preview=False)

    def save(written: storage.Written) -> IssuedReport:
        return IssuedReport.objects.create(
            case=case,
            number=number_next,
            period_start=start,
            period_end=end,
            summary=summary,
            substance_use=substance_use,
            issued_by=actor,
            issued_at=now,
            sha256=written.sha256,
            stored_name=written.stored_name,
            size=written.size,
            pages=rendered.pages,
        )

    report = _kept(rendered, save)
    audit_record(
        actor=actor,
        action=AuditAction.REPORT_ISSUE,
        case_id=case.pk,
        obj=report,
        detail={
            "number": report.number,
            "start": start,
            "end": end,
            "sha256": report.sha256,
            "pages": report.pages,
            "recipients": [party.pk for party, _release in recipients_covered],
        },
    )
    for party, release in recipients_covered:
        disclosure_record(
            actor=actor,
            recipient=party,
            release=release,
            category=Category.COURT_REPORTS,
            channel=Channel.REPORT,
            description=f"Court progress report {report.number} ({start} to {end}), "
            f"SHA-256 {report.sha256}",
            obj=report,
            carries_substance_use=substance_use,
        )
    return report


def _verified(stored_name: str, sha256: str, what: str) -> BinaryIO:
    try:
        handle = storage.file_open(stored_name)
    except OSError:
        logger.error("%s: stored file %s is missing", what, stored_name)
        raise IssuedUnavailable(
            f"The file of {what} is missing from the documents folder. "
            "Tell the practice administrator."
        ) from None
    if storage.sha256_of(storage.chunks_of(handle)) != sha256:
        handle.close()
        logger.error("%s: stored file does not match its SHA-256", what)
        raise IssuedUnavailable(
            f"The stored file of {what} no longer matches the SHA-256 taken when it was issued, "
            "so it is not served. Tell the practice administrator."
        )
    handle.seek(0)
    return handle


def _opened(actor: User, case: Case, item: Any, action: str, what: str) -> BinaryIO:
    access.require(actor, access.Action.VIEW, case)
    handle = _verified(item.stored_name, item.sha256, what)
    try:
        audit_record(
            actor=actor,
            action=action,
            case_id=case.pk,
            obj=item,
            detail={"what": f"download: {what}", "sha256": item.sha256},
        )
    except BaseException:
        handle.close()
        raise
    return handle


@transaction.atomic
def report_pdf(*, actor: User, report: IssuedReport) -> BinaryIO:
    """The issued PDF, open for reading, after its SHA-256 is checked; the download is audited."""
    return _opened(
        actor,
        report.case,
        report,
        AuditAction.REPORT_DOWNLOAD,
        f"court progress report {report.number}",
    )


@transaction.atomic
def portal_report_open(*, actor: User, allowed: selectors.PortalReport) -> BinaryIO:
    """The issued PDF for a legal party in the portal, after its SHA-256 is checked; the
    download is logged as a disclosure naming the release that covers it, and audited."""
    report, party = allowed.report, allowed.party
    if not selectors.may_download_report(actor, party, report):
        raise Http404("No such report.")
    what = f"court progress report {report.number}"
    handle = _verified(report.stored_name, report.sha256, what)
    try:
        disclosure_record(
            actor=actor,
            recipient=party,
            release=allowed.release,
            category=Category.COURT_REPORTS,
            channel=Channel.DOWNLOAD,
            description=f"Court progress report {report.number} ({report.period_start} to "
            f"{report.period_end}) downloaded, SHA-256 {report.sha256}",
            obj=report,
            carries_substance_use=report.substance_use,
        )
        audit_record(
            actor=actor,
            action=AuditAction.REPORT_DOWNLOAD,
            case_id=report.case_id,
            obj=report,
            detail={"what": f"portal download: {what}", "party": party.pk, "sha256": report.sha256},
        )
    except BaseException:
        handle.close()
        raise
    return handle


@transaction.atomic
def notice_pdf(*, actor: User, notice: TerminationNotice) -> BinaryIO:
    return _opened(
        actor,
        notice.case,
        notice,
        AuditAction.NOTICE_DOWNLOAD,
        f"notice of closing to {notice.addressed_to}",
    )


# Public verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What /verify may say about a copy: genuine (and when, by whom) or not issued here."""

    genuine: bool
    issued_on: dt.date | None = None
    practice: str = ""

    @property
    def words(self) -> str:
        if self.genuine:
            return f"Genuine: issued on {self.issued_on} by {self.practice}."
        return (
            "Not issued here: no document issued by this practice has exactly this content. "
            "A copy changed by even one character does not match."
        )


def report_verify(data_or_hash: bytes | str) -> Verification:
    """Is this PDF (or this SHA-256) one the practice issued? Answers nothing else: never the
    case, the family or the kind of document."""
    if isinstance(data_or_hash, bytes):
        digest = storage.sha256_of([data_or_hash])
    else:
        digest = "".join(data_or_hash.split()).lower()
        if not SHA256.match(digest):
            raise ValidationError(
                "A SHA-256 fingerprint is 64 characters long, made of the digits 0-9 and the "
                "letters a-f."
            )
    issued = (
        IssuedReport.objects.filter(sha256=digest).values_list("issued_at", flat=True).first()
        or TerminationNotice.objects.filter(sha256=digest)
        .values_list("issued_at", flat=True)
        .first()
    )
    if issued is None:
        return Verification(genuine=False)
    return Verification(True, timezone.localdate(issued), _practice())


# Termination notices --------------------------------------------------------------------------

OUTCOME_WORDS = {
    Outcome.RESTORED: "The relationship has been restored: contact is regular and no longer "
    "needs therapy to support it.",
    Outcome.PARTIAL: "There was partial progress: less conflict, better communication and "
    "regular contact, though not everything the therapy aimed for was reached.",
    Outcome.NO_PROGRESS: "The therapy ended without the progress it aimed for.",
    Outcome.ENDED_FOR_SAFETY: "The therapy ended because it could not continue safely.",
    Outcome.WITHDRAWN: "The therapy ended because participation was withdrawn.",
    Outcome.COURT_TERMINATED: "The court ended the therapy.",
}
# Who receives a notice as a parent: the people the child's care is shared between.
NOTICE_PARENT_ROLES = (PartyRole.ESTRANGED_PARENT, PartyRole.OTHER_PARENT, PartyRole.GUARDIAN)
# The referrer, by the referral source, when it is a party of the case.
REFERRER_ROLES = {ReferralSource.CPS: PartyRole.CPS, ReferralSource.ATTORNEY: PartyRole.ATTORNEY}


@dataclass(frozen=True)
class _Addressee:
    """Who one notice is written to: a parent, or the court or referrer (a party or not)."""

    kind: str
    party: Party | None
    words: str


def _addressees(case: Case, parties: list[Party], orders: list[Any]) -> list[_Addressee]:
    """Each parent; then the court's parties and the referrer's, or, when neither is a party
    of the case, the court of the latest order (or the referrer) by name."""
    found = [
        _Addressee(NoticeKind.PARENT, p, f"{p.person.full_name} ({p.get_role_display().lower()})")
        for p in parties
        if p.role in NOTICE_PARENT_ROLES
    ]
    referrer = REFERRER_ROLES.get(case.referral_source)  # type: ignore[call-overload]
    court = [p for p in parties if p.role == PartyRole.COURT or p.role == referrer]
    for p in court:
        organisation = f", {p.organisation}" if p.organisation else ""
        words = f"{p.person.full_name} ({p.get_role_display().lower()}{organisation})"
        found.append(_Addressee(NoticeKind.COURT, p, words))
    if not court and (orders or case.referral_source != ReferralSource.SELF):
        found.append(_Addressee(NoticeKind.COURT, None, _referrer_words(case, orders)))
    return found


REFERRER_WORDS = {
    ReferralSource.COURT_ORDER: "The referring court",
    ReferralSource.CPS: "The referring child protective services office",
    ReferralSource.ATTORNEY: "The referring attorney",
}


def _referrer_words(case: Case, orders: list[Any]) -> str:
    if orders:
        order = orders[-1]
        return f"{order.court}, case {order.court_case_number}"
    return REFERRER_WORDS.get(case.referral_source, "The referrer")  # type: ignore[call-overload]


def _notice_release(party: Party) -> tuple[Release | None, str]:
    for category in (Category.COURT_REPORTS, Category.PROGRESS):
        release = covering_release(party, category)
        if release is not None:
            return release, category
    return None, ""


def _notice_issue(
    *, actor: User, case: Case, to: _Addressee, context: dict[str, Any], now: dt.datetime
) -> TerminationNotice:
    """Render, keep, audit (the file entry) and, for the court where covered, disclose."""
    for_court = to.kind == NoticeKind.COURT
    rendered = pdf_render(
        "reports/pdf/notice.html", {**context, "addressed_to": to.words, "for_court": for_court}
    )
    release, category = _notice_release(to.party) if for_court and to.party else (None, "")
    notice = _kept(
        rendered,
        lambda written: TerminationNotice.objects.create(
            case=case,
            kind=to.kind,
            recipient=to.party,
            addressed_to=to.words[:200],
            outcome=case.outcome,
            issued_by=actor,
            issued_at=now,
            sha256=written.sha256,
            stored_name=written.stored_name,
            size=written.size,
            pages=rendered.pages,
        ),
    )
    audit_record(
        actor=actor,
        action=AuditAction.NOTICE_ISSUE,
        case_id=case.pk,
        obj=notice,
        detail={
            "kind": to.kind,
            "recipient": to.party.pk if to.party else None,
            "sha256": notice.sha256,
            "disclosed": release is not None,
        },
    )
    if release is not None and to.party is not None:
        disclosure_record(
            actor=actor,
            recipient=to.party,
            release=release,
            category=category,
            channel=Channel.REPORT,
            description=f"Notice of closing ({case.get_outcome_display().lower()}), "
            f"SHA-256 {notice.sha256}",
            obj=notice,
        )
    return notice


def termination_notices_issue(*, actor: User, case: Case) -> list[TerminationNotice]:
    """On closing: a written notice to each parent (outcome and reason, no one's contact
    details) and one to the court or referrer, each stored and audited as a file entry; the
    court's is logged as a disclosure where a release or court order covers it.

    Called by `cases.services.case_close` inside its transaction, after the case is closed.
    """
    access.require(actor, access.Action.EDIT, case)
    if case.phase != Phase.CLOSED:
        raise ValidationError("Notices of closing are written when the case is closed.")
    _refuse_opinion(case.outcome_reason, "The reason for closing (it goes into each notice)")
    parties = list(Party.objects.filter(case=case).select_related("person").order_by("id"))
    orders = list(case.court_orders.all())
    close = case.transitions.filter(to_phase=Phase.CLOSED).order_by("-at", "-id").first()
    last_phase = close.from_phase if close and close.from_phase else Phase.ASSESSMENT
    now = timezone.now()
    closed_on = timezone.localdate(case.closed_at or now)
    context = {
        "case": case,
        "court_orders": orders,
        "practice": _practice(),
        "therapist": actor.display_name,
        "therapist_role": actor.get_role_display(),
        "issued_at": timezone.localtime(now),
        "issued_on": timezone.localdate(now),
        "closed_on": closed_on,
        "days": (closed_on - timezone.localdate(case.opened_at)).days,
        "last_phase": Phase(last_phase).label,
        "outcome_label": case.get_outcome_display(),
        "outcome_words": OUTCOME_WORDS.get(case.outcome, ""),  # type: ignore[call-overload]
        "reason": case.outcome_reason,
        "verify_url": _verify_url(),
    }
    return [
        _notice_issue(actor=actor, case=case, to=to, context=context, now=now)
        for to in _addressees(case, parties, orders)
    ]
