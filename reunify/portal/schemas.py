"""What the portal API answers a family member's or legal party's token: the same as the
portal page, built from the same `PartyPage`, so the rules cannot drift apart."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Field, Schema

from reunify.cases.models import Party, PartyRole
from reunify.disclosure.models import REDISCLOSURE_NOTICE, Release
from reunify.documents.models import Document
from reunify.messaging.models import Message
from reunify.portal.models import Invitation
from reunify.portal.selectors import SessionLine
from reunify.portal.services import LegalView, PartyPage


class PortalPartyRowOut(Schema):
    id: int
    case_id: int
    case_title: str
    role: PartyRole
    acting_for: str | None

    @classmethod
    def of(cls, party: Party) -> PortalPartyRowOut:
        return cls(
            id=party.pk,
            case_id=party.case_id,
            case_title=party.case.title,
            role=PartyRole(party.role),
            acting_for=party.represents.person.full_name if party.represents_id else None,  # type: ignore[union-attr]
        )


class ProfileOut(Schema):
    """The party's own details, their contact details included (they are theirs)."""

    first_name: str
    last_name: str
    role: PartyRole
    organisation: str
    date_of_birth: dt.date | None
    email: str
    phone: str
    address: str
    workplace: str
    protected: bool
    substitute_address: str = Field(
        description="The address-confidentiality programme's substitute address, if any."
    )
    preferred_language: str
    interpreter_needed: bool


class SessionOut(Schema):
    id: int
    kind: str
    kind_label: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    arrive_at: dt.datetime = Field(description="Your own arrival time (staggered if protected).")
    leave_at: dt.datetime = Field(description="Your own leaving time (staggered if protected).")
    duration_minutes: int
    modality: str
    location: str
    status: str
    status_label: str
    staggered: bool
    bringing_child: bool

    @classmethod
    def of(cls, line: SessionLine) -> SessionOut:
        return cls(
            id=line.id,
            kind=line.kind,
            kind_label=line.kind_label,
            starts_at=line.starts_at,
            ends_at=line.ends_at,
            arrive_at=line.arrive_at,
            leave_at=line.leave_at,
            duration_minutes=line.duration_minutes,
            modality=line.modality,
            location=line.location,
            status=line.status,
            status_label=line.status_label,
            staggered=line.staggered,
            bringing_child=line.bringing_child,
        )


class ModuleOut(Schema):
    id: int
    title: str
    summary: str
    language: str
    paragraphs: list[str]
    assigned_at: dt.datetime
    completed_on: dt.date | None


class DocumentOut(Schema):
    id: int
    title: str
    kind: str
    size: int
    substance_use: bool
    redisclosure_notice: str | None
    download: str


class PortalMessageOut(Schema):
    id: int
    from_you: bool
    author: str
    body: str
    created_at: dt.datetime


class CoveredBy(Schema):
    release_id: int
    basis: str
    expires_on: dt.date

    @classmethod
    def of(cls, release: Release | None) -> CoveredBy | None:
        if release is None:
            return None
        return cls(release_id=release.pk, basis=release.basis, expires_on=release.expires_on)


class AttendanceOut(Schema):
    party: str
    role: PartyRole
    held: int
    due: int
    cancelled_by_them: int
    no_shows: int


class StepOut(Schema):
    at: dt.datetime
    what: str


class ProgressOut(Schema):
    phase: str
    phase_label: str
    phase_since: dt.date
    paused_since: dt.date | None
    closed_on: dt.date | None
    outcome: str
    history: list[StepOut]


class ReportOut(Schema):
    description: str
    sent_at: dt.datetime
    pdf: str | None = Field(
        description="Where to download the report (GET, your token); null when it is not yours "
        "to download today (a notice of closing, or substance-use information no longer covered)."
    )


class ReleasedOut(Schema):
    """What releases and court orders let a professional see today (null: not covered)."""

    attendance: list[AttendanceOut] | None
    attendance_covered_by: CoveredBy | None
    progress: ProgressOut | None
    progress_covered_by: CoveredBy | None
    documents: list[DocumentOut] | None
    documents_covered_by: CoveredBy | None
    substance_use_covered_by: CoveredBy | None
    court_reports: list[ReportOut] | None
    court_reports_covered_by: CoveredBy | None


class PortalPartyOut(Schema):
    id: int
    case_id: int
    case_title: str
    therapist: str
    restricted: bool = Field(description="The therapist has restricted your access.")
    profile: ProfileOut
    upcoming: list[SessionOut]
    past: list[SessionOut]
    modules: list[ModuleOut]
    shared_documents: list[DocumentOut]
    messages: list[PortalMessageOut]
    released: ReleasedOut | None = Field(description="For professionals only.")


def document_out(document: Document) -> DocumentOut:
    return DocumentOut(
        id=document.pk,
        title=document.title,
        kind=document.kind,
        size=document.size,
        substance_use=document.substance_use,
        redisclosure_notice=REDISCLOSURE_NOTICE if document.substance_use else None,
        download=f"/api/v1/portal/documents/{document.pk}/download",
    )


def _released(legal: LegalView) -> ReleasedOut:
    documents = None
    if legal.documents is not None:
        documents = [document_out(d) for d in [*legal.documents, *legal.substance_use_documents]]
    progress = None
    if legal.progress is not None:
        p = legal.progress
        progress = ProgressOut(
            phase=p.phase,
            phase_label=p.phase_label,
            phase_since=p.phase_since,
            paused_since=p.paused_since,
            closed_on=p.closed_on,
            outcome=p.outcome_label,
            history=[StepOut(at=s.at, what=s.what) for s in p.history],
        )
    return ReleasedOut(
        attendance=None
        if legal.attendance is None
        else [
            AttendanceOut(
                party=a.party.person.full_name,
                role=PartyRole(a.party.role),
                held=a.held,
                due=a.due,
                cancelled_by_them=a.cancelled_by_them,
                no_shows=a.no_shows,
            )
            for a in legal.attendance
        ],
        attendance_covered_by=CoveredBy.of(legal.attendance_release),
        progress=progress,
        progress_covered_by=CoveredBy.of(legal.progress_release),
        documents=documents,
        documents_covered_by=CoveredBy.of(legal.documents_release),
        substance_use_covered_by=CoveredBy.of(legal.substance_use_release),
        court_reports=None
        if legal.court_reports_release is None
        else [
            ReportOut(
                description=line.disclosure.description,
                sent_at=line.disclosure.at,
                pdf=None if line.report is None else f"/api/v1/portal/reports/{line.report.pk}/pdf",
            )
            for line in legal.court_report_lines
        ],
        court_reports_covered_by=CoveredBy.of(legal.court_reports_release),
    )


def portal_party_out(page: PartyPage) -> PortalPartyOut:
    party, person = page.party, page.party.person
    return PortalPartyOut(
        id=party.pk,
        case_id=party.case_id,
        case_title=party.case.title,
        therapist=party.case.therapist.display_name,
        restricted=page.restricted,
        profile=ProfileOut(
            first_name=person.first_name,
            last_name=person.last_name,
            role=PartyRole(party.role),
            organisation=party.organisation,
            date_of_birth=person.date_of_birth,
            email=person.email,
            phone=person.phone,
            address=person.address,
            workplace=person.workplace,
            protected=person.protected_address,
            substitute_address=person.substitute_address,
            preferred_language=person.preferred_language,
            interpreter_needed=person.interpreter_needed,
        ),
        upcoming=[SessionOut.of(s) for s in page.upcoming],
        past=[SessionOut.of(s) for s in page.past],
        modules=[
            ModuleOut(
                id=a.pk,
                title=a.module.title,
                summary=a.module.summary,
                language=a.module.language,
                paragraphs=a.module.paragraphs(),
                assigned_at=a.assigned_at,
                completed_on=a.completed_on,
            )
            for a in page.modules
        ],
        shared_documents=[document_out(s.document) for s in page.shares],
        messages=[portal_message_out(m) for m in page.messages],
        released=None if page.legal is None else _released(page.legal),
    )


def portal_message_out(message: Message) -> PortalMessageOut:
    return PortalMessageOut(
        id=message.pk,
        from_you=message.from_party,
        author=message.author.display_name if not message.from_party else "You",
        body=message.body,
        created_at=message.created_at,
    )


# The staff side: invitations and the treating therapists' conversations ----------------------


class InvitationIn(Schema):
    party_id: int
    email: str | None = Field(
        default=None, description="Where the link goes; the party's own e-mail when left out."
    )


class InvitationOut(Schema):
    id: int
    party_id: int
    party: str
    email: str | None = Field(description="Null when the person is protected from the caller.")
    state: str = Field(description="pending, accepted, expired or revoked.")
    created_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    revoked_at: dt.datetime | None
    email_failed_at: dt.datetime | None = Field(
        description="When the invitation's e-mail could not be sent (invite again); null if "
        "it went out."
    )
    username: str | None = Field(description="The portal login name, once accepted.")

    @classmethod
    def of(cls, invitation: Invitation, *, show_email: bool) -> InvitationOut:
        if invitation.revoked_at is not None:
            state = "revoked"
        elif invitation.accepted_at is not None:
            state = "accepted"
        elif invitation.expires_at < timezone.now():
            state = "expired"
        else:
            state = "pending"
        user = invitation.accepted_by
        return cls(
            id=invitation.pk,
            party_id=invitation.party_id,
            party=invitation.party.person.full_name,
            email=invitation.email if show_email else None,
            state=state,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            accepted_at=invitation.accepted_at,
            revoked_at=invitation.revoked_at,
            email_failed_at=invitation.email_failed_at,
            username=user.username if user is not None else None,
        )


class MessageIn(Schema):
    body: str


class MessageOut(Schema):
    id: int
    party_id: int
    from_party: bool
    author: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None
