"""The one exception type the CLI turns into a one-line error and a non-zero exit."""

from __future__ import annotations


class KubesageError(Exception):
    """A user-facing error: `str(err)` is the whole message, one line."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class SourceError(KubesageError):
    """A cluster source (live API or files) could not be read."""
