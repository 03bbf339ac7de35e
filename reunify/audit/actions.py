"""Every action an audit event can record: a closed list, so the log can be filtered by it and
the README can say what each means. `audit_record` refuses an action not listed here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    ACCESS_DENIED = "access.denied", _("A page or API call was refused (403)")
    ALIGNMENT_RECORD = "alignment.record", _("A part of the support system's alignment was rated")
    AMENDMENT_ACCEPT = "amendment.accept", _("A party's request to amend a note was accepted")
    AMENDMENT_DENY = "amendment.deny", _("A party's request to amend a note was denied")
    AMENDMENT_REQUEST = "amendment.request", _("A party asked for a note to be amended")
    APPOINTMENT_CANCEL = "appointment.cancel", _("An appointment was cancelled")
    APPOINTMENT_COMPLETE = "appointment.complete", _("A session was marked as held")
    APPOINTMENT_HOLD = "appointment.hold", _("Upcoming contact visits were held back")
    APPOINTMENT_NO_SHOW = "appointment.no_show", _("A missed session was recorded")
    APPOINTMENT_RESCHEDULE = "appointment.reschedule", _("An appointment was moved")
    APPOINTMENT_SCHEDULE = "appointment.schedule", _("An appointment was scheduled")
    ARRANGEMENT_RECORD = "arrangement.record", _("A parenting arrangement was recorded")
    AUTH_FAILED = "auth.failed", _("A sign-in failed")
    AUTH_LOCKED = "auth.locked", _("An account was locked after failed sign-ins")
    AUTH_LOGIN = "auth.login", _("Someone signed in")
    AUTH_LOGOUT = "auth.logout", _("Someone signed out")
    AUTH_SESSIONS_END = "auth.sessions_end", _("A user's sessions were ended")
    CASE_CLOSE = "case.close", _("A case was closed")
    CASE_CO_THERAPIST_ADD = "case.co_therapist_add", _("A co-therapist was added to a case")
    CASE_CO_THERAPIST_REMOVE = (
        "case.co_therapist_remove",
        _("A co-therapist was removed from a case"),
    )
    CASE_LIST_VIEW = "case.list_view", _("A list of cases was seen")
    CASE_OPEN = "case.open", _("A case was opened")
    CASE_PAUSE = "case.pause", _("A case was paused")
    CASE_PAUSE_COURT_REASON = (
        "case.pause_court_reason",
        _("A pause's reason for the court was written"),
    )
    CASE_RESUME = "case.resume", _("A case was resumed")
    CASE_TRANSITION = "case.transition", _("A case moved to its next phase")
    CASE_TRANSITION_REFUSED = "case.transition_refused", _("A move was refused by its gate")
    CASE_VIEW = "case.view", _("A case's record was looked at")
    CHECKIN_SCHEDULE = "checkin.schedule", _("Integration check-ins were scheduled")
    CHILD_CHECKIN_CONCERN = (
        "child_checkin.concern",
        _("A child's unsafe check-in paused the case and told the therapists"),
    )
    CHILD_CHECKIN_READ = "child_checkin.read", _("A child's check-ins were read")
    CHILD_CHECKIN_RECORD = "child_checkin.record", _("A child checked in")
    CONSENT_RECORD = "consent.record", _("A consent was recorded")
    CONTACT_RECORD = "contact.record", _("A contact visit was recorded")
    COURT_ORDER_AMEND = "court_order.amend", _("A court order was amended")
    COURT_ORDER_END = "court_order.end", _("A court order ended")
    COURT_ORDER_RECORD = "court_order.record", _("A court order was recorded")
    COURT_ORDER_SUPERSEDE = "court_order.supersede", _("A court order was superseded by a new one")
    DISCLOSURE_RECORD = "disclosure.record", _("Information left the record (a disclosure)")
    DOCUMENT_DOWNLOAD = "document.download", _("A document was downloaded")
    DOCUMENT_SHARE = "document.share", _("A document was shared with a family member")
    DOCUMENT_TAG_SUBSTANCE_USE = (
        "document.tag_substance_use",
        _("A document's substance-use tag was set"),
    )
    DOCUMENT_UNTAG_SUBSTANCE_USE = (
        "document.untag_substance_use",
        _("A document's substance-use tag was taken off"),
    )
    DOCUMENT_UNSHARE = "document.unshare", _("A document's sharing was withdrawn")
    DOCUMENT_UPLOAD = "document.upload", _("A document was uploaded")
    DOCUMENT_REVIEW_RECORD = (
        "document_review.record",
        _("A review of the documents provided was recorded"),
    )
    GOAL_ADD = "goal.add", _("A treatment goal was added")
    GOAL_RATE = "goal.rate", _("Progress on a goal was rated")
    INSTRUMENT_IMPORT = "instrument.import", _("A questionnaire was imported")
    INTAKE_RECORD = "intake.record", _("An intake was recorded")
    INVITATION_ACCEPT = "invitation.accept", _("A portal invitation was accepted")
    INVITATION_CREATE = "invitation.create", _("A party was invited to the portal")
    LADDER_ASSENT = "ladder.assent", _("A child's answer to the next rung was recorded")
    LADDER_CONFIGURE = "ladder.configure", _("A contact ladder was changed")
    LADDER_START = "ladder.start", _("A contact ladder was started")
    LADDER_STEP_DOWN = "ladder.step_down", _("A contact ladder stepped down")
    LADDER_STEP_REFUSED = "ladder.step_refused", _("A step up the ladder was refused by its gate")
    LADDER_STEP_UP = "ladder.step_up", _("A contact ladder stepped up")
    LETTER_RECORD = "letter.record", _("A letter on the letters rung was recorded")
    MAIL_FAIL = "mail.fail", _("An e-mail could not be sent")
    MESSAGE_REPLY = "message.reply", _("A therapist replied to a family member")
    MESSAGE_SEND = "message.send", _("A family member wrote to the therapists")
    MODULE_ASSIGN = "module.assign", _("A psychoeducation module was assigned")
    MODULE_COMPLETE = "module.complete", _("A psychoeducation module was completed")
    MODULE_CREATE = "module.create", _("A psychoeducation module was added to the library")
    MODULE_UPDATE = "module.update", _("A psychoeducation module was changed")
    NOTE_ADDENDUM = "note.addendum", _("An addendum was added to a signed note")
    NOTE_AMENDMENT = "note.amendment", _("A signed note was amended at a party's request")
    NOTE_CREATE = "note.create", _("A progress note was written")
    NOTE_DENIAL = "note.denial", _("A request to amend a note was denied")
    NOTE_DISAGREEMENT = (
        "note.disagreement",
        _("A party's statement of disagreement was added to a note"),
    )
    NOTE_SIGN = "note.sign", _("A progress note was signed")
    NOTE_UPDATE = "note.update", _("A draft progress note was changed")
    NOTICE_DOWNLOAD = "notice.download", _("A termination notice was downloaded")
    NOTICE_ISSUE = "notice.issue", _("A termination notice was issued")
    OVERRIDE_COSIGN = "override.cosign", _("A supervisor co-signed a readiness override")
    OVERRIDE_DECLINE = "override.decline", _("A supervisor declined a readiness override")
    OVERRIDE_REQUEST = "override.request", _("A readiness override was requested")
    PARTY_ADD = "party.add", _("A party was added to a case")
    PARTY_PROTECT = "party.protect", _("A party's contact details were protected")
    PARTY_UNPROTECT = "party.unprotect", _("A party's contact details were no longer protected")
    PERSON_UPDATE = "person.update", _("A person's details were changed")
    PORTAL_REVOKE = "portal.revoke", _("A party's portal access was ended")
    PSYCHOTHERAPY_NOTE_CREATE = "psychotherapy_note.create", _("A psychotherapy note was written")
    PSYCHOTHERAPY_NOTE_SHARE = (
        "psychotherapy_note.share",
        _("A psychotherapy note was shared with the supervisor"),
    )
    PSYCHOTHERAPY_NOTE_UNSHARE = (
        "psychotherapy_note.unshare",
        _("A psychotherapy note was no longer shared with the supervisor"),
    )
    QUALIFICATION_RECORD = "qualification.record", _("A licence or qualification was recorded")
    QUESTIONNAIRE_RECORD = "questionnaire.record", _("A questionnaire's answers were recorded")
    READINESS_RECORD = "readiness.record", _("A party's readiness for contact was rated")
    RELEASE_GRANT = "release.grant", _("A release of information was signed")
    RELEASE_REVOKE = "release.revoke", _("A release of information was revoked")
    REPORT_DOWNLOAD = "report.download", _("A court report was downloaded")
    REPORT_ISSUE = "report.issue", _("A court report was issued")
    REPORT_PREVIEW = "report.preview", _("A court report was previewed")
    RESTRICTION_LIFT = "restriction.lift", _("A restriction on a parent's access was lifted")
    RESTRICTION_SET = "restriction.set", _("A parent's access was restricted")
    SCREENING_RECORD = "screening.record", _("A safety screen was recorded")
    TASK_DONE = "task.done", _("A task was done")
    TOKEN_CREATE = "token.create", _("An API token was created")
    TOKEN_REVOKE = "token.revoke", _("An API token was revoked")
    TOTP_ENROL = "totp.enrol", _("A second factor was set up")
    TOTP_ENROL_START = "totp.enrol_start", _("Setting up a second factor began")
    TOTP_ENROLMENT_CODE_ACCEPT = "totp.enrolment_code_accept", _("An enrolment code was used")
    TOTP_ENROLMENT_CODE_ISSUE = "totp.enrolment_code_issue", _("An enrolment code was issued")
    TOTP_RECOVERY_CODE_USE = "totp.recovery_code_use", _("A recovery code was used to sign in")
    TOTP_RECOVERY_CODES_RENEW = "totp.recovery_codes_renew", _("Recovery codes were renewed")
    TOTP_RESET = "totp.reset", _("A user's second factor was reset")
    TOTP_TURN_OFF = "totp.turn_off", _("A second factor was turned off")
    TOTP_VERIFY = "totp.verify", _("A second factor was checked")
    USER_CREATE = "user.create", _("A user account was created")
    USER_DEACTIVATE = "user.deactivate", _("A user account was deactivated")
    WILLINGNESS_RECORD = "willingness.record", _("A family member's willingness was rated")
