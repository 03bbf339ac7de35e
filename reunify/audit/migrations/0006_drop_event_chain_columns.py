"""Events no longer carry their place in the chain (their `Link` does); `id` is the order they
were written in. SQLite rebuilds the table to drop columns, and its triggers with it: put the
append-only triggers back."""

from django.conf import settings
from django.db import migrations, models

from reunify.triggers import by_vendor, sqlite_append_only

SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    *sqlite_append_only("audit_event"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_seal_existing_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(name="event", options={"ordering": ["id"]}),
        migrations.RemoveIndex(model_name="event", name="audit_event_case_id_0f1b3a_idx"),
        migrations.RemoveField(model_name="event", name="hash"),
        migrations.RemoveField(model_name="event", name="prev_hash"),
        migrations.RemoveField(model_name="event", name="seq"),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                fields=["case_id", "action", "id"], name="audit_event_case_id_1b83a7_idx"
            ),
        ),
        by_vendor({"sqlite": SQLITE_TRIGGERS}, {}),
    ]
