"""Discovery of output formats: every module in this package that defines ``FORMAT``.

A module offering one format defines ``FORMAT``; a module offering several renderings of the same
document (CycloneDX JSON and XML) defines ``FORMATS``, a tuple. A name defined twice is an error,
so two modules cannot silently shadow each other.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from rich.console import Console

from ..model import Report
from .interface import OutputFormat

__all__ = ["OutputFormat", "format_for_path", "formats", "print_table", "render"]


@cache
def formats() -> dict[str, OutputFormat]:
    """All output formats by name, sorted by name."""
    from .. import report

    found: dict[str, OutputFormat] = {}
    for info in sorted(pkgutil.iter_modules(report.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{report.__name__}.{info.name}")
        offered: list[OutputFormat] = list(getattr(module, "FORMATS", ()))
        single = getattr(module, "FORMAT", None)
        if single is not None:
            offered.append(single)
        for fmt in offered:
            if fmt.name in found:
                where = module.__name__
                raise RuntimeError(f"output format {fmt.name!r} is defined twice ({where})")
            found[fmt.name] = fmt
    return dict(sorted(found.items()))


def render(report: Report, name: str) -> str | bytes:
    """Render ``report`` in format ``name``; ``KeyError`` names the known formats."""
    try:
        fmt = formats()[name]
    except KeyError:
        known = ", ".join(formats())
        raise KeyError(f"unknown output format {name!r} (known: {known})") from None
    return fmt.render(report)


def format_for_path(path: Path | str) -> str | None:
    """The format a file name asks for by its ending; ``.cdx.json`` beats ``.json``."""
    name = Path(path).name.lower()
    matching = [f for f in formats().values() if f.suffix and name.endswith(f.suffix.lower())]
    if not matching:
        return None
    return max(matching, key=lambda f: len(f.suffix)).name


def print_table(report: Report, console: Console) -> None:
    """Print the report's summary tables on ``console`` (in colour on a terminal)."""
    from .table import print_table as print_rich

    print_rich(report, console)
