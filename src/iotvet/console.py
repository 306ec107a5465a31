"""Terminal output shared by every command: messages and progress on stderr, results on stdout,
and one way to refuse unusable input (exit code 2, DESIGN.md)."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console(stderr=True)
out = Console()


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` (unwrapped, so file names stay whole) and return exit code 2."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)
