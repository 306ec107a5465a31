"""Discovery of check families: every module in this package that defines ``FAMILY``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from .interface import CheckFamily


@cache
def families() -> tuple[CheckFamily, ...]:
    from .. import checks

    found: list[CheckFamily] = []
    for info in sorted(pkgutil.iter_modules(checks.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{checks.__name__}.{info.name}")
        family = getattr(module, "FAMILY", None)
        if family is not None:
            found.append(family)
    return tuple(found)
