"""Mark which paused cases were paused by a safety finding or concern.

Cases paused before this field existed are back-filled from the reason the safety pause has
always written ("safety screen of … found …", "safety concern raised in …")."""

from django.db import migrations, models


def backfill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Case.objects.filter(paused_at__isnull=False, pause_reason__startswith="safety ").update(
        paused_for_safety=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_transition_effective_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="paused_for_safety",
            field=models.BooleanField(
                default=False,
                help_text="Paused by a safety finding or concern (a screen, a visit, a note), "
                "not by hand.",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
