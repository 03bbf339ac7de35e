"""The database itself refuses to change or delete an issued report or notice.

An issued PDF is evidence: its row (which names the stored file and its SHA-256) is written
once. A corrected report is a new report with the next number.
"""

from django.db import migrations

from reunify.triggers import by_vendor

TABLES = ("reports_issuedreport", "reports_terminationnotice")

SQLITE_UP = [
    statement
    for table in TABLES
    for statement in (
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, 'an issued document cannot be changed; issue a new one'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, 'an issued document cannot be deleted'); END""",
    )
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {table}_{what}" for table in TABLES for what in ("no_update", "no_delete")
]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION reports_issued_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'an issued document cannot be changed or deleted; issue a new one'; END;
       $$ LANGUAGE plpgsql""",
    *[
        statement
        for table in TABLES
        for statement in (
            f"""CREATE TRIGGER {table}_kept BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION reports_issued_refuse()""",
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION reports_issued_refuse()""",
        )
    ],
]
POSTGRES_DOWN = [
    *[
        f"DROP TRIGGER IF EXISTS {table}_{what} ON {table}"
        for table in TABLES
        for what in ("kept", "no_truncate")
    ],
    "DROP FUNCTION IF EXISTS reports_issued_refuse()",
]


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [
        by_vendor(
            {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP},
            {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN},
        )
    ]
