import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reunify.audit.chain import audit_verify


class Command(BaseCommand):
    help = (
        "Audit log tools. `reunify audit verify` seals what is waiting, then re-walks the "
        "hash chain."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("operation", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        report = audit_verify()
        rate = report.checked / max(time.perf_counter() - started, 1e-9)
        if not report.intact:
            raise CommandError(
                f"audit chain BROKEN at link #{report.bad_seq}: {report.problem} "
                f"({report.checked} links verified before it)"
            )
        self.stdout.write(
            f"audit chain intact: {report.checked} events, head {report.head_hash} "
            f"({rate:,.0f} events/s)"
        )
