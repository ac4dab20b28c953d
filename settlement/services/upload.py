"""Uploading a claims file (spec/claims-upload.md, Acceptance): refused at once if it is too large, not
readable as claims or the same file again; otherwise kept with its SHA-256 as a `received` batch and
checked by a Celery task once the upload has committed. The request never reads the rows themselves.
"""

import hashlib
import re
from pathlib import PurePath

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record
from core.errors import Conflict, ValidationFailed
from core.locks import xact_lock

from ..checking.limits import inspect_upload
from ..models import ClaimBatch
from ..permissions import provider_for_upload

MAX_LINES = 500_000  # claim lines a file (spec); the header row comes on top
_PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
UNIQUE_FILE = "claim_batch_file_once_per_provider"


class DuplicateFile(Conflict):
    """The provider uploaded this very file before (the same SHA-256): 409 with the first batch's id."""

    code = "duplicate_file"

    def __init__(self, first: ClaimBatch):
        super().__init__(_("This file was already uploaded as batch %(batch)s on %(date)s (status: %(status)s): "
                           "the same file is taken once.") % {
            "batch": first.label, "date": timezone.localdate(first.uploaded_at).isoformat(),
            "status": first.get_status_display()})
        self.batch = first

    def as_dict(self) -> dict:
        return {**super().as_dict(), "batch_id": self.batch.pk}


def check_period(period) -> str:
    period = (period or "").strip()
    if not _PERIOD.match(period):
        raise ValidationFailed(_("The period is the settlement month, written YYYY-MM (for example 2026-10)."),
                               errors=[{"row": None, "column": "period",
                                        "message": _("Write the month as YYYY-MM.")}])
    return period


def upload_batch(*, actor, file, period: str) -> ClaimBatch:
    """Keep the file as a received batch of the actor's provider and have it checked after commit.

    Raises PermissionDenied (not a provider's user, no provider, an inactive provider), ValidationFailed
    (the period), TooLarge (over 50 MB or 500,000 lines, found before the file is read whole),
    UnreadableFile (not CSV/XLSX/JSON claims, a JSON that is not a list of objects) or DuplicateFile.
    """
    from ..tasks import check_batch_task

    provider = provider_for_upload(actor)
    period = check_period(period)
    name = PurePath(getattr(file, "name", "") or "claims").name[:200] or "claims"
    inspected = inspect_upload(file, name=name, size=file.size, max_bytes=settings.UPLOAD_MAX_BYTES,
                               max_lines=MAX_LINES)
    digest = _sha256(file)
    batch = ClaimBatch(provider=provider, period=period, original_name=name, sha256=digest, size=file.size,
                       file_format=inspected.format, encoding=inspected.encoding, uploaded_by=actor)
    batch.file.save(name, file, save=False)  # to storage first: the insert below is all that can race
    try:
        with transaction.atomic():
            batch.number = next_batch_number(provider)
            batch.save()
            record(actor, "settlement.claimbatch.received", batch, None, {
                "provider": provider.code, "period": period, "file": name, "sha256": digest, "size": file.size,
                "format": inspected.format, "lines": inspected.lines})
            check_batch_task.delay_on_commit(batch.pk)
    except IntegrityError as exc:
        batch.file.delete(save=False)
        if UNIQUE_FILE not in str(exc):
            raise
        raise DuplicateFile(ClaimBatch.objects.get(provider=provider, sha256=digest)) from None
    return batch


def next_batch_number(provider) -> int:
    """The provider's next batch number (1 for its first), held until the caller's transaction ends: a lock
    per provider makes two uploads at once wait in turn, so a refused upload (the same file twice) leaves no
    gap, and the unique constraint (provider, number) stands behind it."""
    xact_lock(f"settlement.batch.number.{provider.pk}")
    highest = ClaimBatch.objects.filter(provider=provider).aggregate(n=Max("number"))["n"]
    return (highest or 0) + 1


def _sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1 << 20), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()
