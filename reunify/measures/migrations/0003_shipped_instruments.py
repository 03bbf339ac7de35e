"""The project's own questionnaires: readiness, feeling safe, and the session rating.

They are read from reunify/measures/instruments/*.json, checked by the engine, and created
once; an instrument never changes after that (a later version would be a new migration).
"""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

INSTRUMENTS = Path(__file__).resolve().parent.parent / "instruments"
FILES = ["reunify-readiness.json", "reunify-safety.json", "reunify-session.json"]


def install(apps, schema_editor):
    from reunify.measures.questionnaires import parse_instrument

    Instrument = apps.get_model("measures", "Instrument")
    for name in FILES:
        data = json.loads((INSTRUMENTS / name).read_text(encoding="utf-8"))
        definition = parse_instrument(data)
        Instrument.objects.get_or_create(
            slug=definition.slug,
            version=definition.version,
            defaults={
                "title": definition.title,
                "description": definition.description,
                "licence": definition.licence,
                "definition": data,
                "shipped": True,
                "imported_at": timezone.now(),
            },
        )


def uninstall(apps, schema_editor):
    Instrument = apps.get_model("measures", "Instrument")
    Instrument.objects.filter(shipped=True, responses__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("measures", "0002_willingness_alignment_checkins_questionnaires")]

    operations = [migrations.RunPython(install, uninstall)]
