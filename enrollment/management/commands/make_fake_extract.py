from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from enrollment.reconciliation.fake import write_fake_extract


class Command(BaseCommand):
    help = ("Write a realistic agency extract from the current register with planted differences "
            "(default: AGENCY_DROP_DIR/enrollment-<today>.csv), so the nightly reconciliation has work to show.")

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="where to write (.csv or .csv.gz)")
        parser.add_argument("--differences", type=float, default=0.02, help="share of persons changed or dropped")
        parser.add_argument("--new-persons", type=int, default=None)
        parser.add_argument("--invalid-rows", type=int, default=5)
        parser.add_argument("--seed", type=int, default=20261123)

    def handle(self, *args, file=None, differences, new_persons, invalid_rows, seed, **options):
        path = file or Path(settings.AGENCY_DROP_DIR) / f"enrollment-{timezone.localdate():%Y%m%d}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        planted = write_fake_extract(path, differences=differences, new_persons=new_persons,
                                     invalid_rows=invalid_rows, seed=seed)
        self.stderr.write(
            f"Wrote {path}: {planted.rows} rows; planted {planted.missing_agency} missing at the agency, "
            f"{planted.missing_local} missing here, {planted.field_mismatch} changed fields {planted.fields}, "
            f"{planted.invalid_row} invalid rows."
        )
        self.stdout.write(str(path))
