"""The chain's head row exists from the start, so no two first writers ever race to create it.

A database that never sealed an event gets the genesis head; one that did keeps its own.
"""

from django.db import migrations

GENESIS = "0" * 64  # audit.chain.GENESIS: the hash before the first link


def create_head(apps, schema_editor):
    ChainHead = apps.get_model("audit", "ChainHead")
    ChainHead.objects.get_or_create(id=1, defaults={"seq": 0, "hash": GENESIS})


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_drop_event_chain_columns")]

    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
