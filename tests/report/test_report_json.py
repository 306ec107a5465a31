"""The native JSON report: the DESIGN.md contract, and it reads back into the same Report."""

from __future__ import annotations

import json

from iotvet.model import REPORT_SCHEMA, Report
from iotvet.report.registry import render
from iotvet.report.sanitize import safe_report


def test_json_round_trips(any_report: Report) -> None:
    """It reads back as the report, with unwritable characters made visible (see sanitize)."""
    text = render(any_report, "json")
    assert isinstance(text, str)
    again = Report.model_validate_json(text)
    assert again == safe_report(any_report)


def test_json_carries_the_contract_keys(sample_report: Report) -> None:
    text = render(sample_report, "json")
    assert isinstance(text, str)
    data = json.loads(text)
    assert data["schema"] == REPORT_SCHEMA
    for key in ("tool", "target", "layers", "components", "findings", "vulnerabilities"):
        assert key in data
    for key in ("themes", "conformity", "skipped", "stats"):
        assert key in data
    assert data["components"][0]["evidence"][0]["path"].startswith("/")
