"""The chain moves out of the event rows: events wait in `Pending` until the sealer gives each
its `Link`. Links are append-only like events (UPDATE, DELETE and TRUNCATE refused)."""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_UP = [
    """CREATE TRIGGER audit_link_no_update BEFORE UPDATE ON audit_link
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER audit_link_no_delete BEFORE DELETE ON audit_link
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_link_no_update",
    "DROP TRIGGER IF EXISTS audit_link_no_delete",
]
# audit_event_refuse() comes from 0002.
POSTGRES_UP = [
    """CREATE TRIGGER audit_link_no_change BEFORE UPDATE OR DELETE ON audit_link
       FOR EACH ROW EXECUTE FUNCTION audit_event_refuse()""",
    """CREATE TRIGGER audit_link_no_truncate BEFORE TRUNCATE ON audit_link
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_link_no_truncate ON audit_link",
    "DROP TRIGGER IF EXISTS audit_link_no_change ON audit_link",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_listed_cases")]

    operations = [
        migrations.CreateModel(
            name="Pending",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="pending",
                        serialize=False,
                        to="audit.event",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Link",
            fields=[
                ("seq", models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
                (
                    "event",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="link",
                        to="audit.event",
                    ),
                ),
            ],
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
