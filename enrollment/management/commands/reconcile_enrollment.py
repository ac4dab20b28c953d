from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.errors import DomainError
from enrollment.reconciliation.engine import KINDS, date_from_name, reconcile_file
from enrollment.reconciliation.escalation import escalate_aged
from enrollment.reconciliation.extract import ExtractRejected


class Command(BaseCommand):
    help = ("Reconcile one agency extract (plain or .gz) with the register, as the nightly job does, and print "
            "the open discrepancies by kind.")

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, type=Path)
        parser.add_argument("--date", type=date.fromisoformat,
                            help="YYYY-MM-DD; defaults to the date in the file name, else today")

    def handle(self, *args, file: Path, date=None, **options):
        run_date = date or date_from_name(file) or timezone.localdate()
        try:
            outcome = reconcile_file(file, run_date=run_date)
        except ExtractRejected as exc:
            for error in exc.errors:
                self.stderr.write(f"line {error['line']}, {error['column']}: {error['message']}")
            raise CommandError(f"{file}: rejected, nothing changed: {exc.message}")
        except DomainError as exc:
            raise CommandError(str(exc.message))
        escalate_aged(run_date=run_date)
        for kind in KINDS:
            self.stdout.write(f"{kind}: {outcome.counts[kind]}")
