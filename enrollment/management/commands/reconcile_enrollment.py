from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.errors import DomainError
from core.system import system_user
from enrollment.reconciliation.engine import KINDS, date_from_name
from enrollment.reconciliation.nightly import Delivered
from enrollment.services.reconciliation import reconcile_night


class Command(BaseCommand):
    help = ("Reconcile one agency extract (plain or .gz) with the register as the nightly job does (the run's "
            "report, then the escalation of what stays open too long), and print the open discrepancies by kind.")

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, type=Path)
        parser.add_argument("--date", type=date.fromisoformat,
                            help="YYYY-MM-DD, not after today; defaults to the date in the file name, else today")

    def handle(self, *args, file: Path, date=None, **options):
        run_date = date or date_from_name(file) or timezone.localdate()
        try:
            [done] = reconcile_night(actor=system_user(), extracts=[Delivered(run_date, file)])
        except DomainError as exc:
            raise CommandError(str(exc.message))
        if done.rejection is not None:
            for error in done.rejection.errors:
                self.stderr.write(f"line {error['line']}, {error['column']}: {error['message']}")
            raise CommandError(f"{file}: rejected, nothing changed: {done.rejection.message}")
        for kind in KINDS:
            self.stdout.write(f"{kind}: {done.counts[kind]}")
