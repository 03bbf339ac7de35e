"""The database itself refuses UPDATE and DELETE of audit events (and TRUNCATE on PostgreSQL)."""

from django.db import migrations

from reunify.triggers import AUDIT_MESSAGE, AUDIT_REFUSE, append_only, by_vendor

POSTGRES_UP = [
    f"""CREATE OR REPLACE FUNCTION {AUDIT_REFUSE}() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '{AUDIT_MESSAGE}'; END;
       $$ LANGUAGE plpgsql""",
]
POSTGRES_DOWN = [f"DROP FUNCTION IF EXISTS {AUDIT_REFUSE}()"]


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        by_vendor({"postgresql": POSTGRES_UP}, {"postgresql": POSTGRES_DOWN}),
        append_only("audit_event"),
    ]
