from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.provider_accounts import issue_api_token

# The spec's form (spec/review-rules.md); both options are required, and nothing else is taken.
EXAMPLE = "python manage.py create_api_token --provider H32010001 --username provider"


class Command(BaseCommand):
    help = ("Create (or, on a rerun, reuse) the API user NAME of provider CODE, with the provider role and access "
            "to that one provider only, and print its token alone on the last line.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        """A usage error (`create_api_token provider`, an option left out) also shows the command as the spec
        writes it, with an example to copy."""
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = _("For example: %(example)s") % {"example": EXAMPLE}
        refuse = parser.error

        def error(message):
            refuse(_("%(problem)s\nGive the provider's code and the user's name as options, for example:\n  "
                     "%(example)s") % {"problem": message, "example": EXAMPLE})

        parser.error = error
        return parser

    def add_arguments(self, parser):
        parser.add_argument("--provider", required=True, metavar="CODE", help=_("The provider's code."))
        parser.add_argument("--username", required=True, metavar="NAME",
                            help=_("The API user's name: created, or reused on a rerun."))

    def handle(self, *args, provider: str, username: str, **options):
        try:
            token = issue_api_token(provider_code=provider, username=username)
        except DomainError as exc:
            raise CommandError(str(exc.message))
        self.stdout.write(f"API user {username} of provider {provider}; its token:")
        self.stdout.write(token)
