from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollment.reconciliation.extract import ExtractRejected
from enrollment.reconciliation.load import load_register


class Command(BaseCommand):
    help = ("Load or update the office's register from a file in the agency's extract format. All or nothing: "
            "any invalid row refuses the whole file, and every problem is listed on stderr.")

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            result = load_register(file)
        except ExtractRejected as exc:
            for error in exc.errors:
                column = f"column {error['column']}" if error["column"] else "row"
                self.stderr.write(f"line {error['line']}, {column}: {error['message']}")
            raise CommandError(f"{file}: {exc.message}")
        self.stdout.write(f"CREATED: {result.created}")
        self.stdout.write(f"UPDATED: {result.updated}")
        self.stdout.write(f"UNCHANGED: {result.unchanged}")
        self.stdout.write(f"PERSONS: {result.persons}")
        if options["verbosity"] > 1:
            self.stderr.write(f"timings: {result.timings}")
