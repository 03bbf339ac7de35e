"""`{% case_reports_section case as section %}`: what the case page's "Court reports" section
shows, loaded by the section itself so the case view need not know about reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from reunify import access
from reunify.access import Action
from reunify.cases.models import Case
from reunify.reports import selectors
from reunify.reports.forms import ReportIssueForm

register = template.Library()


@dataclass(frozen=True)
class Section:
    reports: list[selectors.Issued]
    notices: list[selectors.Issued]
    may_issue: bool
    form: ReportIssueForm | None


@register.simple_tag(takes_context=True)
def case_reports_section(context: Any, case: Case) -> Section:
    from reunify.reports.views import issue_form

    request = context.get("request")
    user = getattr(request, "user", None)
    may_issue = not case.is_closed and user is not None and access.can(user, Action.EDIT, case)
    return Section(
        reports=selectors.case_reports(case),
        notices=selectors.case_notices(case),
        may_issue=may_issue,
        form=issue_form(case) if may_issue else None,
    )
