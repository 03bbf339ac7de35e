"""The chain moves out of the event rows: events wait in `Pending` until the sealer gives each
its `Link`. Links are append-only like events (UPDATE, DELETE and TRUNCATE refused)."""

import django.db.models.deletion
from django.db import migrations, models

from reunify.triggers import append_only

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
        append_only("audit_link"),
    ]
