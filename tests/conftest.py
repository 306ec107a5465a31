"""Shared fixtures: the corpus, and unpack/scan results computed once per test run.

Unpacking and scanning a firmware image takes seconds, so each image is processed once per test
run and the result is shared by every test module and by every pytest-xdist worker (a file lock
and a pickle in a directory that all workers of this run share).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from iotvet.limits import Limits
from iotvet.model import Report
from iotvet.unpack.interface import UnpackResult


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point IOTVET_HOME at an empty directory: tests never read or write the user's data."""
    home = tmp_path_factory.mktemp("iotvet-home")
    os.environ["IOTVET_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def run_cache(tmp_path_factory: pytest.TempPathFactory, testrun_uid: str) -> Path:
    path = tmp_path_factory.getbasetemp().parent / f"iotvet-cache-{testrun_uid}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cached(cache: Path, key: str, compute: Callable[[Path], object]) -> object:
    target = cache / f"{key}.pickle"
    with FileLock(str(cache / f"{key}.lock")):
        if target.exists():
            return pickle.loads(target.read_bytes())
        workdir = cache / f"{key}.work"
        workdir.mkdir(exist_ok=True)
        value = compute(workdir)
        target.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def unpacked(run_cache: Path) -> Callable[[Path], UnpackResult]:
    """``unpacked(image)`` → the UnpackResult of that image (its tree stays on disk for the run)."""
    from iotvet.unpack import unpack

    def get(image: Path) -> UnpackResult:
        result = _cached(
            run_cache, f"unpack-{image.name}", lambda work: unpack(image, work, Limits())
        )
        assert isinstance(result, UnpackResult)
        return result

    return get


@pytest.fixture(scope="session")
def scanned(run_cache: Path) -> Callable[[Path], Report]:
    """``scanned(image)`` → the full Report of ``iotvet scan`` on that image (tree kept on disk)."""
    from iotvet.pipeline import ScanOptions, scan

    def get(image: Path) -> Report:
        def compute(work: Path) -> Report:
            return scan(image, ScanOptions(workdir=work, keep=True, vulns=False))

        result = _cached(run_cache, f"scan-{image.name}", compute)
        assert isinstance(result, Report)
        return result

    return get
