"""Every write of settlement: uploading a batch, checking it."""

from .checking import check_batch
from .upload import DuplicateFile, upload_batch

__all__ = ["DuplicateFile", "check_batch", "upload_batch"]
