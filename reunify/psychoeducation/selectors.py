"""Reads of the library and of a case's modules."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from reunify.cases.models import Case, Party
from reunify.psychoeducation.models import FAMILY_ROLES, Module, ModuleAssignment, Topic


@dataclass(frozen=True)
class Shelf:
    """The library's modules on one topic."""

    topic: Topic
    modules: list[Module]


def library_shelves(modules: QuerySet[Module] | None = None) -> list[Shelf]:
    """Every topic in the product's order, each with its modules (an empty shelf included)."""
    modules = modules if modules is not None else Module.objects.all()
    by_topic: dict[str, list[Module]] = {}
    for module in modules.select_related("updated_by").order_by("language", "title", "id"):
        by_topic.setdefault(module.topic, []).append(module)
    return [Shelf(topic, by_topic.get(topic.value, [])) for topic in Topic]


@dataclass(frozen=True)
class PartyModules:
    """One family member of a case and the modules given to them, oldest first."""

    party: Party
    assignments: list[ModuleAssignment] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return sum(1 for a in self.assignments if a.completed_on is None)


def case_modules(case: Case) -> list[PartyModules]:
    """The family's modules, per party, from what `with_gate_facts` already loaded: no query."""
    parties = [p for p in case.parties.all() if p.role in FAMILY_ROLES]
    by_id = {party.pk: party for party in parties}
    by_party: dict[int, list[ModuleAssignment]] = {}
    for assignment in case.module_assignments.all():
        if assignment.party_id in by_id:
            assignment.party = by_id[assignment.party_id]
        by_party.setdefault(assignment.party_id, []).append(assignment)
    return [PartyModules(party, by_party.get(party.pk, [])) for party in parties]


def case_assignments(case: Case) -> QuerySet[ModuleAssignment]:
    return case.module_assignments.select_related(
        "party__person", "module", "assigned_by", "completion_recorded_by"
    ).order_by("assigned_at", "id")
