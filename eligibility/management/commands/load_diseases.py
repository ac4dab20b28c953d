from pathlib import Path

from django.core.management.base import BaseCommand

from eligibility.services.catalogue import load_diseases

from ._loading import FileRejected, refuse


class Command(BaseCommand):
    help = ("Replace the disease classes with the file's (category_from, category_to, disease_class, name). "
            "All or nothing: any invalid row refuses the whole file, and every problem is listed on stderr.")

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            result = load_diseases(path=file)
        except FileRejected as exc:
            raise refuse(self, file, exc)
        self.stdout.write(f"CLASSES: {result.classes}")
        self.stdout.write(f"CHANGED: {'yes' if result.changed else 'no'}")
