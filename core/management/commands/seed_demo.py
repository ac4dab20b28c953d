from django.core.management.base import BaseCommand
from django.db import transaction

from core.demo_providers import seed_providers
from core.demo_users import DEMO_PASSWORD, ensure_demo_users
from core.registry import demo_seeders


class Command(BaseCommand):
    help = "Load the demo data (idempotent): a login per role, providers, then each app's demo data."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=3000, help="The demo's size: insured persons.")

    def handle(self, *args, persons, **options):
        with transaction.atomic():
            users = ensure_demo_users()
            providers = seed_providers()
        summaries = [f"Providers: {providers}."]
        for _label, seed in demo_seeders():  # each app's `demo_seed` (core.registry), in INSTALLED_APPS order
            summaries.append(seed(persons=persons))
        self.stdout.write(" ".join(summaries))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in users:
            self.stdout.write(f"  {username:<11} {role}")
