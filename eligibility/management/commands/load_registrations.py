from pathlib import Path

from django.core.management.base import BaseCommand

from eligibility.services.registrations import load_registrations

from ._loading import FileRejected, refuse


class Command(BaseCommand):
    help = ("Load registrations (referrals, special diseases, residence elsewhere, penalties) from a previous "
            "system's file. Load the providers and the register first. All or nothing: any invalid row refuses "
            "the whole file, and every problem is listed on stderr.")

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            result = load_registrations(path=file)
        except FileRejected as exc:
            raise refuse(self, file, exc)
        self.stdout.write(f"CREATED: {result.created}")
        self.stdout.write(f"UPDATED: {result.updated}")
        self.stdout.write(f"UNCHANGED: {result.unchanged}")
        self.stdout.write(f"REGISTRATIONS: {result.registrations}")
