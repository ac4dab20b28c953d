"""The audit trail's checkpoint: the latest entry's number and hash, kept outside the database.

The hash chain proves that what is there was not changed, but not that nothing was cut off the
end: removing the newest entries (or all of them) leaves a shorter chain that is still intact.
So each successful verification (`manage.py verify_audit`, the nightly `core.tasks.verify_audit_trail`)
writes the last entry's seq and hash, with an HMAC under the audit key, to
AUDIT_CHECKPOINT_DIR/latest.json; the next verification fails when the trail no longer reaches
that entry with that hash. The nightly reconciliation report prints it, so a paper copy exists too.
"""

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .audit import GENESIS, ChainProblem, Verification, _canonical, mac, verify_chain

FILE_NAME = "latest.json"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    entries: int
    written_at: str  # ISO 8601, UTC
    mac: str

    @staticmethod
    def _payload(seq: int, hash: str, entries: int, written_at: str) -> str:
        return _canonical(["core.audit.checkpoint", seq, hash, entries, written_at])

    @classmethod
    def sign(cls, seq: int, hash: str, entries: int) -> "Checkpoint":
        written_at = datetime.now(UTC).isoformat(timespec="seconds")
        return cls(seq, hash, entries, written_at, mac(cls._payload(seq, hash, entries, written_at)))

    def authentic(self) -> bool:
        return self.mac == mac(self._payload(self.seq, self.hash, self.entries, self.written_at))

    def problems(self, last_seq: int, hash_at_seq: str | None) -> list[ChainProblem]:
        """What is wrong with a trail that ends at last_seq and has hash_at_seq at this checkpoint's seq."""
        where = f"the checkpoint of {self.written_at} in {path()}"
        if not self.authentic():
            return [ChainProblem(self.seq, f"{where} does not verify under the audit key: it was altered, or the "
                                           "key changed")]
        if last_seq < self.seq:
            return [ChainProblem(self.seq, f"the trail ends at entry {last_seq}, but {where} recorded entry "
                                           f"{self.seq}: entries were removed from the end")]
        if self.seq and hash_at_seq != self.hash:
            return [ChainProblem(self.seq, f"differs from {where}: the chain was rewritten")]
        return []


def path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / FILE_NAME


def read_checkpoint() -> Checkpoint | None:
    """The latest checkpoint, or None before the first. A file that does not parse reads as one
    that does not verify."""
    try:
        data = json.loads(path().read_text())
        return Checkpoint(int(data["seq"]), str(data["hash"]), int(data["entries"]), str(data["written_at"]),
                          str(data["mac"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return Checkpoint(0, GENESIS, 0, "?", "")


def write_checkpoint(verification: Verification) -> Checkpoint:
    """Keep the end of a verified trail (atomically: written aside, then renamed into place)."""
    if not verification.ok:
        raise ValueError("only a verified trail gets a checkpoint")
    current = read_checkpoint()
    if current is not None and current.authentic() and current.seq > verification.last_seq:
        return current  # a verification that started later already wrote a newer one
    checkpoint = Checkpoint.sign(verification.last_seq, verification.last_hash, verification.checked)
    directory = path().parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".latest.")
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(checkpoint), f, indent=1)
        f.write("\n")
    os.replace(tmp, path())
    return checkpoint


def verify_and_checkpoint(*, write: bool = True) -> tuple[Verification, Checkpoint | None, Checkpoint | None]:
    """Verify the trail against the latest checkpoint and, when it holds, write a new one.

    Returns (verification, the checkpoint compared with, the checkpoint written)."""
    previous = read_checkpoint()
    verification = verify_chain(checkpoint=previous)
    written = write_checkpoint(verification) if write and verification.ok else None
    return verification, previous, written


def describe(checkpoint: Checkpoint | None) -> str:
    """One line for paper (the nightly reconciliation report): which entry, when, and its hash."""
    if checkpoint is None:
        return _("none yet (manage.py verify_audit writes the first)")
    if not checkpoint.authentic():
        return _("the checkpoint file does not verify under the audit key")
    written = formats.date_format(timezone.localtime(datetime.fromisoformat(checkpoint.written_at)), "Y-m-d H:i")
    return _("entry %(seq)d, verified %(written)s, hash %(hash)s") % {
        "seq": checkpoint.seq, "written": written, "hash": checkpoint.hash}
