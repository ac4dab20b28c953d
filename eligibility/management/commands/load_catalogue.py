from pathlib import Path

from django.core.management.base import BaseCommand

from eligibility.services.catalogue import load_catalogue

from ._loading import FileRejected, refuse


class Command(BaseCommand):
    help = ("Load the catalogue (spec/review-rules.md): each item_code and effective_from is created or updated. "
            "All or nothing: any invalid row refuses the whole file, and every problem is listed on stderr.")

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            result = load_catalogue(path=file)
        except FileRejected as exc:
            raise refuse(self, file, exc)
        self.stdout.write(f"CREATED: {result.created}")
        self.stdout.write(f"UPDATED: {result.updated}")
        self.stdout.write(f"UNCHANGED: {result.unchanged}")
        self.stdout.write(f"ITEMS: {result.items}")
