"""The native JSON report: the DESIGN.md contract, and it reads back into the same Report."""

from __future__ import annotations

import json

from iotvet.model import REPORT_SCHEMA, Report
from iotvet.report.registry import render
from iotvet.report.sanitize import safe_report


def test_json_round_trips(any_report: Report) -> None:
    """It reads back as the report; text UTF-8 cannot encode is made visible (see sanitize)."""
    text = render(any_report, "json")
    assert isinstance(text, str)
    again = Report.model_validate_json(text)
    if "\\udc" in repr(any_report):  # surrogate-escaped bytes: only the sanitized form is writable
        assert again == safe_report(any_report)
        assert again != any_report
    else:
        assert again == any_report


def test_control_characters_survive_as_json_escapes(sample_report: Report) -> None:
    sample_report.findings[0].detail = "bell\x07 nul\x00"
    data = json.loads(str(render(sample_report, "json")))
    assert data["findings"][0]["detail"] == "bell\x07 nul\x00"


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
