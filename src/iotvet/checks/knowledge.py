"""Loading of the versioned knowledge files (``src/iotvet/data/*.yaml``) used by check families.

Why a module: rules, allowlists and patterns live in reviewed YAML files with their sources, not in
Python; every family reads them the same way, once per process.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed content of ``iotvet/data/<name>`` (a YAML mapping)."""
    text = resources.files("iotvet").joinpath("data", name).read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise ValueError(f"knowledge file {name} must hold a mapping")
    return loaded
