"""Errors a user can act on. The CLI turns them into exit code 2 and a message naming the file."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """The input (a target, a declaration, an SBOM) is unusable; the message says which and why."""

    def __init__(self, path: Path | str, problem: str, fix: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        message = f"{self.path}: {problem}"
        if fix:
            message += f" — {fix}"
        super().__init__(message)
