"""Database triggers that keep records append-only, for the migrations that install them.

Migrations run the SQL their vendor needs through `by_vendor`; a plain append-only table
(every UPDATE, DELETE and, on PostgreSQL, TRUNCATE refused) is `append_only(table)`. The
statements a migration ran must never change once it has shipped: a new rule is a new
migration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations

Statements = dict[str, Sequence[str]]

# Made by audit's migration 0002; every append-only audit table's PostgreSQL triggers call it.
AUDIT_REFUSE = "audit_event_refuse"
AUDIT_MESSAGE = "audit events are append-only"


def _runner(statements: Statements) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement)

    return run


def by_vendor(up: Statements, down: Statements) -> migrations.RunPython:
    """A migration step running `up[vendor]` forwards and `down[vendor]` backwards, where the
    vendor is the connection's ("sqlite", "postgresql"); a vendor not named runs nothing."""
    return migrations.RunPython(_runner(up), _runner(down))


def sqlite_append_only(table: str, message: str = AUDIT_MESSAGE) -> list[str]:
    """SQLite's triggers refusing UPDATE and DELETE on `table` (it has no TRUNCATE)."""
    return [
        f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
       BEGIN SELECT RAISE(ABORT, '{message}'); END"""
        for verb in ("UPDATE", "DELETE")
    ]


def append_only(table: str) -> migrations.RunPython:
    """Refuse UPDATE, DELETE and TRUNCATE on an audit table, with `AUDIT_REFUSE`."""
    up: Statements = {
        "sqlite": sqlite_append_only(table),
        "postgresql": [
            f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
       FOR EACH ROW EXECUTE FUNCTION {AUDIT_REFUSE}()""",
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
       FOR EACH STATEMENT EXECUTE FUNCTION {AUDIT_REFUSE}()""",
        ],
    }
    down: Statements = {
        "sqlite": [f"DROP TRIGGER IF EXISTS {table}_no_{v}" for v in ("update", "delete")],
        "postgresql": [
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
        ],
    }
    return by_vendor(up, down)
