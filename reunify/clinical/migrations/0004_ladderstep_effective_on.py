from django.db import migrations, models
from django.utils import timezone


def recorded_day(apps, schema_editor):
    """Steps recorded before effective dates existed took effect on the day they were recorded."""
    LadderStep = apps.get_model("clinical", "LadderStep")
    for step in LadderStep.objects.filter(effective_on__isnull=True).iterator():
        LadderStep.objects.filter(pk=step.pk).update(effective_on=timezone.localdate(step.at))


class Migration(migrations.Migration):
    dependencies = [
        ("clinical", "0003_ladder_integration_threshold"),
    ]

    operations = [
        migrations.AddField(
            model_name="ladderstep",
            name="effective_on",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(recorded_day, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ladderstep",
            name="effective_on",
            field=models.DateField(
                help_text="The day the step took effect: today, or an earlier day recorded "
                "afterwards."
            ),
        ),
        migrations.AlterField(
            model_name="ladderstep",
            name="at",
            field=models.DateTimeField(help_text="When the step was recorded."),
        ),
        migrations.AlterField(
            model_name="ladder",
            name="rung_entered_at",
            field=models.DateTimeField(help_text="When the current rung took effect."),
        ),
    ]
