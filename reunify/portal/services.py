"""Invitations into the portal, and what a portal user may see of a case.

A portal user acts only as the parties whose invitations they accepted. What each party sees
is decided here and in reunify.access; legal parties see only what `covering_release` allows,
and every such view is logged as a disclosure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from reunify import access
from reunify.accounts.models import Role, User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.cases.models import LEGAL_ROLES, Case, Party, TransitionKind
from reunify.cases.services import require_open
from reunify.clinical.selectors import Attendance, attendance_of
from reunify.disclosure.models import (
    REDISCLOSURE_NOTICE,
    Category,
    Channel,
    Disclosure,
    DocumentShare,
    Release,
)
from reunify.disclosure.selectors import covering_release
from reunify.disclosure.services import disclosure_record, is_restricted
from reunify.documents.models import Document
from reunify.documents.services import document_open_in_portal
from reunify.mail import send_after_commit
from reunify.messaging.models import Message
from reunify.messaging.selectors import conversation
from reunify.portal.models import Invitation
from reunify.portal.selectors import SessionLine, party_modules, party_sessions, party_shares
from reunify.psychoeducation.models import ModuleAssignment
from reunify.reports.models import IssuedReport
from reunify.reports.selectors import portal_reports


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *, actor: User, case: Case, party: Party, email: str, portal_url: str
) -> Invitation:
    """Invite a party into the portal by e-mail: a single-use link that expires. Earlier
    unanswered invitations of the same party stop working."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if party.case_id != case.pk:
        raise ValidationError("That party does not belong to this case.")
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError(f"“{email}” is not an e-mail address.") from error
    if Invitation.objects.filter(
        party=party, accepted_at__isnull=False, revoked_at__isnull=True
    ).exists():
        raise ValidationError(f"{party.person.full_name} already has portal access to this case.")
    now = timezone.now()
    Invitation.objects.filter(
        party=party, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        case=case,
        party=party,
        email=email,
        token_hash=_digest(token),
        expires_at=now + dt.timedelta(hours=settings.REUNIFY_INVITATION_HOURS),
        created_by=actor,
        created_at=now,
    )
    audit_record(
        actor=actor,
        action=AuditAction.INVITATION_CREATE,
        case_id=case.pk,
        obj=invitation,
        detail={"party": party.pk},
    )
    # Only the digest is stored; the token travels in the e-mail, and on the returned object
    # for this one caller (the demo loader and the tests accept it without a mailbox).
    invitation.token = token  # type: ignore[attr-defined]
    link = f"{portal_url.rstrip('/')}/portal/invitation/{token}/"
    # The e-mail names no one but the recipient: no case details, no other party.
    body = invitation_email_body(
        first_name=party.person.first_name,
        therapist=actor.display_name,
        link=link,
        legal=party.role in LEGAL_ROLES,
    )
    subject = _("Your invitation to the portal of %(practice)s") % {
        "practice": settings.REUNIFY_PRACTICE_NAME
    }
    send_after_commit(
        [(subject, body, None, [email])],
        what="invitation",
        case_id=case.pk,
        obj=invitation,
        failed=lambda: Invitation.objects.filter(pk=invitation.pk).update(
            email_failed_at=timezone.now()
        ),
    )
    return invitation


def invitation_email_body(*, first_name: str, therapist: str, link: str, legal: bool) -> str:
    """The invitation in plain words, to the person by name: no role, no case, no other party."""
    words = {
        "name": first_name,
        "therapist": therapist,
        "practice": settings.REUNIFY_PRACTICE_NAME,
        "hours": settings.REUNIFY_INVITATION_HOURS,
        "link": link,
    }
    invited = (
        _(
            "%(therapist)s, the family's therapist at %(practice)s, has invited you to the "
            "practice's portal.\n"
        )
        if legal
        else _(
            "%(therapist)s, your family's therapist at %(practice)s, has invited you to the "
            "practice's portal.\n"
        )
    )
    body = _("Hello %(name)s,\n\n") % words + invited % words
    body += (
        _(
            "Open this link to choose your password (it works once, for %(hours)s hours):\n\n"
            "%(link)s\n\n"
        )
        % words
    )
    contact = [settings.REUNIFY_PRACTICE_PHONE, settings.REUNIFY_PRACTICE_EMAIL]
    if any(contact):
        body += _("To reach the practice: %(contact)s\n") % {
            "contact": ", ".join(item for item in contact if item)
        }
    return body + _("If you did not expect this message, ignore it.\n")


def invitation_for_token(token: str) -> Invitation:
    """The open invitation behind a link, or a clear error saying why it no longer works."""
    invitation = (
        Invitation.objects.select_related("party__person", "case")
        .filter(token_hash=_digest(token or ""))
        .first()
    )
    if invitation is None:
        raise Http404("This invitation link is not valid.")
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been used; log in instead.")
    if invitation.revoked_at is not None:
        raise ValidationError("This invitation was withdrawn; ask the practice for a new one.")
    if invitation.expires_at < timezone.now():
        raise ValidationError("This invitation has expired; ask the practice for a new one.")
    return invitation


def portal_username(first_name: str, last_name: str) -> str:
    """A portal login name made of the person's name (“clemency.marigold”, then
    “clemency.marigold2”…), never their e-mail address: the username is written in the audit
    log and shown to staff, and a protected person's address must not travel with it."""
    words = [
        "".join(
            ch
            for ch in unicodedata.normalize("NFKD", part).lower()
            if ch.isascii() and ch.isalnum()
        )
        for part in (first_name, last_name)
    ]
    base = ".".join(word for word in words if word)[:140] or "portal"
    taken = {
        name.lower()
        for name in User.objects.filter(username__istartswith=base).values_list(
            "username", flat=True
        )
    }
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}{number}"
    return candidate


class AccountPasswordRefused(ValidationError):
    """The invitation names an existing account, and the password given is not its password."""


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Accept an invitation: a new portal account named by the e-mail address, or, when that
    address already has one, the same account (its password proves it)."""
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update(no_key=True).get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been used; log in instead.")
    user = User.objects.filter(email__iexact=invitation.email, role=Role.PORTAL).first()
    if user is not None:
        if authenticate(username=user.username, password=password) is None:
            raise AccountPasswordRefused(
                f"A portal account with this e-mail address exists (username {user.username}): "
                "enter its password to add this case to it."
            )
    else:
        person = invitation.party.person
        user = User(
            username=portal_username(person.first_name, person.last_name),
            email=invitation.email,
            first_name=person.first_name,
            last_name=person.last_name,
            role=Role.PORTAL,
        )
        validate_password(password, user)
        user.set_password(password)
        user.save()
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
    audit_record(
        actor=user,
        action=AuditAction.INVITATION_ACCEPT,
        case_id=invitation.case_id,
        obj=invitation,
        detail={"party": invitation.party_id},
    )
    return user


@transaction.atomic
def portal_access_revoke(*, actor: User, party: Party) -> int:
    """End a party's portal access to this case at once (their other cases are untouched)."""
    access.require(actor, access.Action.EDIT, party.case)
    count = Invitation.objects.filter(party=party, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not count:
        raise ValidationError(f"{party.person.full_name} has no portal access to revoke.")
    audit_record(
        actor=actor,
        action=AuditAction.PORTAL_REVOKE,
        case_id=party.case_id,
        obj=party,
        detail={"party": party.pk},
    )
    return count


# What a party sees ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseStep:
    """One dated step of the case's history, without the clinical reasons behind it."""

    at: dt.datetime
    what: str


@dataclass(frozen=True)
class ProgressSummary:
    """Where the case stands, for a professional with a release: phase, dates, pauses."""

    phase: str
    phase_label: str
    phase_since: dt.date
    paused_since: dt.date | None
    closed_on: dt.date | None
    outcome_label: str
    history: list[PhaseStep]


@dataclass(frozen=True)
class CourtReportLine:
    """A report sent to the professional, with the issued report they may download today
    (None: not theirs to download now, e.g. a notice, or substance-use no longer covered)."""

    disclosure: Disclosure
    report: IssuedReport | None


@dataclass
class LegalView:
    """What a release or court order lets a professional see today, and what covered it.

    A section is None when nothing covers it (default deny)."""

    attendance: list[Attendance] | None = None
    attendance_release: Release | None = None
    progress: ProgressSummary | None = None
    progress_release: Release | None = None
    documents: list[Document] | None = None
    documents_release: Release | None = None
    substance_use_documents: list[Document] = field(default_factory=list)
    substance_use_release: Release | None = None
    court_reports_release: Release | None = None
    court_reports: list[Disclosure] = field(default_factory=list)
    court_report_lines: list[CourtReportLine] = field(default_factory=list)

    @property
    def court_reports_carry_substance_use(self) -> bool:
        return any(line.report and line.report.substance_use for line in self.court_report_lines)

    @property
    def covers_anything(self) -> bool:
        return any(
            r is not None
            for r in (
                self.attendance_release,
                self.progress_release,
                self.documents_release,
                self.court_reports_release,
            )
        )


@dataclass
class PartyPage:
    """Everything one party's portal page shows."""

    party: Party
    restricted: bool
    is_legal: bool
    upcoming: list[SessionLine]
    past: list[SessionLine]
    modules: list[ModuleAssignment] = field(default_factory=list)
    shares: list[DocumentShare] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    legal: LegalView | None = None
    may_message: bool = False

    @property
    def shares_carry_substance_use(self) -> bool:
        return any(share.document.substance_use for share in self.shares)


_STEP_WORDS = {
    TransitionKind.OPEN: "Case opened in {to}",
    TransitionKind.ADVANCE: "Moved to {to}",
    TransitionKind.OVERRIDE: "Moved to {to}",
    TransitionKind.PAUSE: "Paused",
    TransitionKind.RESUME: "Resumed",
    TransitionKind.CLOSE: "Closed",
}


def progress_summary(case: Case) -> ProgressSummary:
    """The phase and its dates; pauses by date only (their reasons are clinical)."""
    history = [
        PhaseStep(t.at, _STEP_WORDS[TransitionKind(t.kind)].format(to=t.get_to_phase_display()))
        for t in case.transitions.order_by("at", "id")
    ]
    return ProgressSummary(
        phase=case.phase,
        phase_label=case.get_phase_display(),
        phase_since=timezone.localdate(case.phase_entered_at),
        paused_since=timezone.localdate(case.paused_at) if case.paused_at else None,
        closed_on=timezone.localdate(case.closed_at) if case.closed_at else None,
        outcome_label=case.get_outcome_display() if case.outcome else "",
        history=history,
    )


def _titles(documents: list[Document]) -> str:
    return "; ".join(d.title for d in documents)


def legal_view(*, actor: User, party: Party) -> LegalView:
    """What today's releases and court orders let this professional see, each section logged
    as a disclosure under the release that covered it."""
    view = LegalView()
    case = party.case

    def disclose(
        release: Release, category: str, what: str, *, substance_use: bool = False
    ) -> None:
        disclosure_record(
            actor=actor,
            recipient=party,
            release=release,
            category=category,
            channel=Channel.PORTAL_VIEW,
            description=what,
            carries_substance_use=substance_use,
        )

    release = covering_release(party, Category.ATTENDANCE)
    if release is not None:
        view.attendance, view.attendance_release = attendance_of(case), release
        disclose(release, Category.ATTENDANCE, "Attendance: sessions held against sessions due")
    release = covering_release(party, Category.PROGRESS)
    if release is not None:
        view.progress, view.progress_release = progress_summary(case), release
        disclose(release, Category.PROGRESS, "Phase and progress summary")
    release = covering_release(party, Category.DOCUMENTS)
    if release is not None:
        documents = list(case.documents.order_by("-uploaded_at", "-id"))
        view.documents = [d for d in documents if not d.substance_use]
        view.documents_release = release
        if view.documents:
            disclose(release, Category.DOCUMENTS, f"Document list: {_titles(view.documents)}")
        tagged = [d for d in documents if d.substance_use]
        su_release = (
            covering_release(party, Category.DOCUMENTS, substance_use=True) if tagged else None
        )
        if su_release is not None:
            view.substance_use_documents, view.substance_use_release = tagged, su_release
            disclose(
                su_release,
                Category.DOCUMENTS,
                f"Document list (substance-use information): {_titles(tagged)}",
                substance_use=True,
            )
    view.court_reports_release = covering_release(party, Category.COURT_REPORTS)
    if view.court_reports_release is not None:
        # Issuing a report logs its disclosure to each covered recipient: list what they got.
        view.court_reports = list(
            Disclosure.objects.filter(
                recipient=party, category=Category.COURT_REPORTS, channel=Channel.REPORT
            ).order_by("-at", "-id")
        )
        downloadable = portal_reports(party)
        label = IssuedReport._meta.label_lower
        view.court_report_lines = [
            CourtReportLine(
                d,
                downloadable.get(int(d.object_id))
                if d.object_type == label and d.object_id.isdigit()
                else None,
            )
            for d in view.court_reports
        ]
    return view


def party_page(*, actor: User, party: Party) -> PartyPage:
    """Build a party's portal page for the portal user acting as them: the read is audited,
    and what a release covers is logged as a disclosure."""
    from reunify.cases.services import case_view
    from reunify.messaging.services import messages_mark_read

    restricted = is_restricted(party)
    upcoming, past = party_sessions(party, restricted=restricted)
    is_legal = party.role in LEGAL_ROLES
    page = PartyPage(
        party=party, restricted=restricted, is_legal=is_legal, upcoming=upcoming, past=past
    )
    with transaction.atomic():
        case_view(actor=actor, case=party.case, what=f"portal: {party.get_role_display().lower()}")
        if is_legal:
            page.legal = legal_view(actor=actor, party=party)
        elif not restricted:
            page.modules = list(party_modules(party))
            page.shares = list(party_shares(party))
            page.messages = list(conversation(party))
            page.may_message = not party.case.is_closed
            messages_mark_read(party=party, by_party=True)
    return page


@dataclass(frozen=True)
class PortalDocument:
    """A document a party may download, and the release that covers it (None for a share)."""

    document: Document
    party: Party
    release: Release | None

    @property
    def notice(self) -> str:
        return REDISCLOSURE_NOTICE if self.document.substance_use else ""


def portal_document_get(party: Party, document_id: int) -> PortalDocument:
    """A document the party may have: shared with a family member, or covered by a release
    for a professional (a substance-use one only when the release names that too); 404
    otherwise, never confirming it exists."""
    document = Document.objects.filter(case_id=party.case_id, pk=document_id).first()
    if document is None:
        raise Http404("No such document.")
    if party.role in LEGAL_ROLES:
        release = covering_release(party, Category.DOCUMENTS, substance_use=document.substance_use)
        if release is not None:
            return PortalDocument(document, party, release)
    elif not is_restricted(party) and party_shares(party).filter(document=document).exists():
        return PortalDocument(document, party, None)
    raise Http404("No such document.")


def portal_document_for_user(user: User, document_id: int) -> PortalDocument:
    """The document through whichever of the user's parties may have it (the API's route)."""
    for party in access.portal_parties(user):
        try:
            return portal_document_get(party, document_id)
        except Http404:
            continue
    raise Http404("No such document.")


@transaction.atomic
def portal_document_open(*, actor: User, allowed: PortalDocument) -> BinaryIO:
    """Open the file; a download under a release is logged as a disclosure naming it."""
    document, party = allowed.document, allowed.party
    if allowed.release is not None:
        disclosure_record(
            actor=actor,
            recipient=party,
            release=allowed.release,
            category=Category.DOCUMENTS,
            channel=Channel.DOWNLOAD,
            description=f"Document downloaded: {document.title}",
            obj=document,
            carries_substance_use=document.substance_use,
        )
    return document_open_in_portal(actor=actor, document=document, party_id=party.pk)
