"""Fixtures for the vulnerability tests (helpers in vdb_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from filelock import FileLock
from vdb_support import build_filtered_db


@pytest.fixture(scope="session")
def vulndb(run_cache: Path) -> Path:
    """A database built from every shared snapshot, NVD narrowed to the tested products;
    built once per test run and shared by all pytest-xdist workers (file lock)."""
    target = run_cache / "vulns-filtered.sqlite"
    with FileLock(str(run_cache / "vulns-filtered.lock")):
        if not target.exists():
            build_filtered_db(target, run_cache / "vulns-filtered-feeds")
    return target
