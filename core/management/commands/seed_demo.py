from django.core.management.base import BaseCommand
from django.db import transaction

from core.demo_users import DEMO_PASSWORD, ensure_demo_users


class Command(BaseCommand):
    help = "Load the demo data (idempotent): a login per role, providers, employers, persons, applications."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=3000)

    def handle(self, *args, persons, **options):
        from enrollment.seed import seed_enrollment
        from settlement.seed import seed_providers

        with transaction.atomic():
            users = ensure_demo_users()
            providers = seed_providers()
        summary = seed_enrollment(persons=persons)
        self.stdout.write(f"Providers: {providers}. {summary}")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in users:
            self.stdout.write(f"  {username:<11} {role}")
