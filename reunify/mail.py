"""E-mail that tells of a saved record: sent after the commit, and never undoing it.

A mail server that is down, refuses the address or times out must not turn a saved invitation
or a child's saved check-in into an error page: the record stands, the failure is logged and
audited (`mail.fail`, naming what was sent and to how many, never the addresses), and the
caller's `failed` callback marks the record so a page can say the e-mail did not go out.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Sequence

from django.core.mail import send_mass_mail
from django.db import models, transaction

from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record

logger = logging.getLogger(__name__)

# (subject, body, sender (None: the default), recipients), as `send_mass_mail` takes them.
Message = tuple[str, str, str | None, list[str]]


def send_after_commit(
    messages: Sequence[Message],
    *,
    what: str,
    case_id: int | None = None,
    obj: models.Model | None = None,
    failed: Callable[[], object] | None = None,
) -> None:
    """Send `messages` once the current transaction commits (nothing if it rolls back)."""
    if not messages:
        return
    batch = list(messages)

    def send() -> None:
        try:
            send_mass_mail(batch, fail_silently=False)
        except (smtplib.SMTPException, OSError) as error:
            logger.error("e-mail (%s) not sent: %s", what, error)
            with transaction.atomic():
                audit_record(
                    actor=None,
                    action=AuditAction.MAIL_FAIL,
                    case_id=case_id,
                    obj=obj,
                    detail={
                        "what": what,
                        "messages": len(batch),
                        "error": type(error).__name__,
                    },
                )
                if failed is not None:
                    failed()

    transaction.on_commit(send)
