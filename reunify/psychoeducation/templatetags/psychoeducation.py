"""Lets the case page's psychoeducation section build itself from the case it already loaded."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from reunify.cases.models import Case
from reunify.psychoeducation.forms import ModuleCompleteForm
from reunify.psychoeducation.models import ModuleAssignment
from reunify.psychoeducation.selectors import PartyModules, case_modules

register = template.Library()


@dataclass(frozen=True)
class AssignmentLine:
    """One assignment on the case page, with its completion form while it is open."""

    assignment: ModuleAssignment
    form: ModuleCompleteForm | None


@register.simple_tag
def case_module_rows(case: Case, may_edit: bool) -> list[tuple[PartyModules, list[AssignmentLine]]]:
    rows = []
    for group in case_modules(case):
        lines = [
            AssignmentLine(
                a,
                ModuleCompleteForm(auto_id=f"id_complete_{a.pk}_%s")
                if may_edit and a.completed_on is None
                else None,
            )
            for a in group.assignments
        ]
        rows.append((group, lines))
    return rows
