"""The audit actions are one closed list: each documented, each built name a member."""

from __future__ import annotations

from pathlib import Path

from reunify.audit.actions import AuditAction
from reunify.clinical.models import AddendumKind

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_lists_every_action_with_its_meaning() -> None:
    text = README.read_text()
    missing = [a.value for a in AuditAction if f"| `{a.value}` | {a.label} |" not in text]
    assert missing == []


def test_the_actions_built_from_a_kind_are_all_listed() -> None:
    built = [f"note.{kind}" for kind in AddendumKind.values]
    built += [f"ladder.step_{direction}" for direction in ("up", "down")]
    assert [name for name in built if name not in AuditAction.values] == []


def test_every_action_names_what_it_acts_on_then_what_happened() -> None:
    for action in AuditAction:
        subject, _, verb = action.value.partition(".")
        assert subject and verb and action.name == action.value.upper().replace(".", "_")
