"""What an output format module exposes: ``FORMAT = OutputFormat(...)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import Report


@dataclass(frozen=True)
class OutputFormat:
    """One way of writing a report.

    ``render`` returns ``str`` for text formats and ``bytes`` for binary ones (a future PDF);
    ``suffix`` is the file-name ending the CLI proposes (``.cdx.json``) when no ``-o`` is given.
    """

    name: str
    suffix: str
    render: Callable[[Report], str | bytes]
    description: str = ""
    media_type: str = "text/plain"
