"""Reading the knowledge iotvet ships as data: YAML files inside the package.

Why a module: rules, signatures, catalogs, allowlists and patterns live in reviewed YAML files with
their sources, not in Python; every subsystem reads them the same way — once per process, with
libyaml's C loader when PyYAML has it (several times faster than the pure-Python one).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, origin: str) -> Any:
    """Parse YAML text; a syntax error names ``origin`` (the file it came from)."""
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise ValueError(f"{origin}: not valid YAML: {exc}") from exc


def read_yaml(file: Traversable | Path) -> Any:
    """Parse one YAML file (a path or an ``importlib.resources`` file)."""
    return parse_yaml(file.read_text(encoding="utf-8"), str(file))


def package_file(package: str, *parts: str) -> Traversable:
    """A file shipped inside ``package`` (works from a wheel as from a source tree)."""
    return resources.files(package).joinpath(*parts)


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed content of ``iotvet/data/<name>``, which must hold a mapping."""
    loaded = read_yaml(package_file("iotvet", "data", name))
    if not isinstance(loaded, dict):
        raise ValueError(f"knowledge file {name} must hold a mapping")
    return loaded
