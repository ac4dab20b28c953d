"""What the loaders' commands share: every problem of a refused file on stderr, then a non-zero exit."""

from django.core.management.base import CommandError

from ...loading.files import FileRejected


def refuse(command, path, exc: FileRejected):
    for error in exc.errors:
        column = f"column {error['column']}" if error["column"] else "row"
        command.stderr.write(f"line {error['line']}, {column}: {error['message']}")
    return CommandError(f"{path}: {exc.message}")


__all__ = ["FileRejected", "refuse"]
