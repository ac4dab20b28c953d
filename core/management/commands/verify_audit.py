from django.core.management.base import BaseCommand, CommandError

from core.audit import verify_chain


class Command(BaseCommand):
    help = "Walk the audit trail's hash chain and report altered or removed entries."

    def handle(self, *args, **options):
        checked, problems = verify_chain()
        for problem in problems:
            self.stderr.write(f"entry {problem.seq}: {problem.message}")
        if problems:
            raise CommandError(f"The audit trail is broken: {len(problems)} problem(s) in {checked} entries.")
        self.stdout.write(f"OK: {checked} entries, chain intact.")
