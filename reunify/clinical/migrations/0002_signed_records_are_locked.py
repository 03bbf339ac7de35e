"""The database itself refuses changes to a signed progress note and to any addendum.

A draft note may change; once `signed_at` is set the row is frozen (no UPDATE, no DELETE). An
addendum is written once: its hash is filled in right after the insert (it covers the row id),
and after that nothing may touch it.
"""

from django.db import migrations

from reunify.triggers import by_vendor

SQLITE_UP = [
    """CREATE TRIGGER progress_note_signed_no_update BEFORE UPDATE ON clinical_progressnote
       WHEN OLD.signed_at IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'a signed note cannot be changed; add an addendum'); END""",
    """CREATE TRIGGER progress_note_signed_no_delete BEFORE DELETE ON clinical_progressnote
       WHEN OLD.signed_at IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'a signed note cannot be deleted'); END""",
    """CREATE TRIGGER addendum_no_update BEFORE UPDATE ON clinical_addendum
       WHEN OLD.content_hash <> 'pending'
       BEGIN SELECT RAISE(ABORT, 'an addendum cannot be changed'); END""",
    """CREATE TRIGGER addendum_no_delete BEFORE DELETE ON clinical_addendum
       BEGIN SELECT RAISE(ABORT, 'an addendum cannot be deleted'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS progress_note_signed_no_update",
    "DROP TRIGGER IF EXISTS progress_note_signed_no_delete",
    "DROP TRIGGER IF EXISTS addendum_no_update",
    "DROP TRIGGER IF EXISTS addendum_no_delete",
]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION clinical_signed_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'a signed clinical record cannot be changed; add an addendum'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER progress_note_signed_locked BEFORE UPDATE OR DELETE ON clinical_progressnote
       FOR EACH ROW WHEN (OLD.signed_at IS NOT NULL) EXECUTE FUNCTION clinical_signed_refuse()""",
    """CREATE TRIGGER addendum_no_update BEFORE UPDATE ON clinical_addendum
       FOR EACH ROW WHEN (OLD.content_hash <> 'pending') EXECUTE FUNCTION clinical_signed_refuse()""",
    """CREATE TRIGGER addendum_no_delete BEFORE DELETE ON clinical_addendum
       FOR EACH ROW EXECUTE FUNCTION clinical_signed_refuse()""",
    """CREATE TRIGGER clinical_notes_no_truncate BEFORE TRUNCATE ON clinical_addendum
       FOR EACH STATEMENT EXECUTE FUNCTION clinical_signed_refuse()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS clinical_notes_no_truncate ON clinical_addendum",
    "DROP TRIGGER IF EXISTS addendum_no_delete ON clinical_addendum",
    "DROP TRIGGER IF EXISTS addendum_no_update ON clinical_addendum",
    "DROP TRIGGER IF EXISTS progress_note_signed_locked ON clinical_progressnote",
    "DROP FUNCTION IF EXISTS clinical_signed_refuse()",
]


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]

    operations = [
        by_vendor(
            {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP},
            {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN},
        )
    ]
