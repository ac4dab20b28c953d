from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.provider_accounts import ProviderFileRejected, load_providers


class Command(BaseCommand):
    help = ("Load the providers (provider_code, name, level, area, active): each code is created or updated. "
            "All or nothing: any invalid row refuses the whole file, and every problem is listed on stderr.")

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            result = load_providers(path=file)
        except ProviderFileRejected as exc:
            for error in exc.errors:
                column = f"column {error['column']}" if error["column"] else "row"
                self.stderr.write(f"line {error['line']}, {column}: {error['message']}")
            raise CommandError(f"{file}: {exc.message}")
        self.stdout.write(f"CREATED: {result.created}")
        self.stdout.write(f"UPDATED: {result.updated}")
        self.stdout.write(f"UNCHANGED: {result.unchanged}")
        self.stdout.write(f"PROVIDERS: {result.providers}")
