"""Every write of settlement: uploading a batch, checking it, reviewing it, the rules' settings."""

from .checking import check_batch
from .review import recompute_batch, review_batch
from .rules import set_rule
from .upload import DuplicateFile, upload_batch

__all__ = ["DuplicateFile", "check_batch", "recompute_batch", "review_batch", "set_rule", "upload_batch"]
