from django.core.management.base import BaseCommand, CommandError

from core.audit_checkpoint import path, verify_and_checkpoint


class Command(BaseCommand):
    help = ("Walk the audit trail's hash chain, compare it with the last checkpoint and report altered, "
            "re-chained or removed entries; when the trail holds, write a new checkpoint.")

    def add_arguments(self, parser):
        parser.add_argument("--no-checkpoint", action="store_true",
                            help="compare with the last checkpoint but do not write a new one")

    def handle(self, *args, **options):
        verification, previous, written = verify_and_checkpoint(write=not options["no_checkpoint"])
        for problem in verification.problems:
            self.stderr.write(f"entry {problem.seq}: {problem.message}")
        if not verification.ok:
            raise CommandError(f"The audit trail is broken: {len(verification.problems)} problem(s) in "
                               f"{verification.checked} entries.")
        if previous is None:
            self.stdout.write(f"No earlier checkpoint in {path()}: entries removed from the end before now "
                              "cannot be detected.")
        else:
            self.stdout.write(f"Reaches the checkpoint of {previous.written_at} (entry {previous.seq}).")
        self.stdout.write(f"OK: {verification.checked} entries, chain intact.")
        if written is not None:
            self.stdout.write(f"Checkpoint: entry {written.seq}, hash {written.hash}, in {path()}.")
