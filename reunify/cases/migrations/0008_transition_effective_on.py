from django.db import migrations, models
from django.utils import timezone


def recorded_day(apps, schema_editor):
    """Moves recorded before effective dates existed took effect on the day they were recorded."""
    Transition = apps.get_model("cases", "Transition")
    for transition in Transition.objects.filter(effective_on__isnull=True).iterator():
        Transition.objects.filter(pk=transition.pk).update(
            effective_on=timezone.localdate(transition.at)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_pause_court_reason"),
    ]

    operations = [
        migrations.AddField(
            model_name="transition",
            name="effective_on",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(recorded_day, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="transition",
            name="effective_on",
            field=models.DateField(
                help_text="The day the change took effect: today, or an earlier day recorded "
                "afterwards."
            ),
        ),
        migrations.AlterField(
            model_name="transition",
            name="at",
            field=models.DateTimeField(help_text="When the change was recorded."),
        ),
    ]
