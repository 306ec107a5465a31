"""Fixtures of the supplier tests: the scenario's vulnerability DB, matched release reports and
a fresh project store per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock
from supplier_scenario import RELEASES, image, write_feed

from iotvet.model import Report
from iotvet.store import Store, open_store
from iotvet.vulns import match_components
from iotvet.vulns.db import build
from iotvet.vulns.sources import import_paths


@pytest.fixture(scope="session")
def scenario_db(run_cache: Path) -> Path:
    """The scenario's hand-written feed imported with the project's importers (once per run)."""
    target = run_cache / "supplier-scenario.sqlite"
    with FileLock(str(run_cache / "supplier-scenario.lock")):
        if not target.exists():
            feed = run_cache / "supplier-scenario-feed"
            write_feed(feed)
            with build(target, fresh=True) as writer:
                import_paths([feed], writer)
                assert not writer.skipped, writer.skipped
    return target


@pytest.fixture(scope="session")
def release_reports(scanned: Callable[[Path], Report], scenario_db: Path) -> dict[str, Report]:
    """version → the release's scan report with vulnerabilities matched against the scenario DB."""
    reports = {}
    for version, name, _ in RELEASES:
        report = scanned(image(name)).model_copy(deep=True)
        report.vulnerabilities, report.data_sources = match_components(
            report.components, scenario_db
        )
        reports[version] = report
    return reports


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'store.sqlite'}") as opened:
        yield opened
