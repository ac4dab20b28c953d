from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.provider_accounts import issue_api_token


class Command(BaseCommand):
    help = ("Create (or, on a rerun, reuse) the API user NAME of provider CODE, with the provider role and access "
            "to that one provider only, and print its token alone on the last line.")

    def add_arguments(self, parser):
        parser.add_argument("--provider", required=True, metavar="CODE")
        parser.add_argument("--username", required=True, metavar="NAME")

    def handle(self, *args, provider: str, username: str, **options):
        try:
            token = issue_api_token(provider_code=provider, username=username)
        except DomainError as exc:
            raise CommandError(str(exc.message))
        self.stdout.write(f"API user {username} of provider {provider}; its token:")
        self.stdout.write(token)
