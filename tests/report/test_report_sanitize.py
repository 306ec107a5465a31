"""Text that is not text (non-UTF-8 names, control characters) never breaks a writer."""

from __future__ import annotations

import json

from report_samples import make_binary_text_report

from iotvet.model import Report
from iotvet.report.registry import render
from iotvet.report.sanitize import safe_report, safe_text

FORMATS = ("json", "table", "html", "cyclonedx-json", "cyclonedx-xml", "spdx-json")
BAD_PATH_SHOWN = r"/usr/bin/t\xe9l\xe9net"


def test_safe_text_keeps_undecodable_bytes_visible() -> None:
    name = b"/bin/t\xe9l".decode("utf-8", "surrogateescape")
    assert safe_text(name) == r"/bin/t\xe9l"
    assert safe_text("v1\x00\x07") == r"v1\x00\x07"
    assert safe_text("lone \ud800") == "lone \ufffd"
    assert safe_text("tab\tnew\nline ü") == "tab\tnew\nline ü"  # allowed characters stay


def test_clean_report_is_returned_unchanged(sample_report: Report) -> None:
    assert safe_report(sample_report) is sample_report


def test_every_format_writes_utf8(any_report: Report) -> None:
    for name in FORMATS:
        out = render(any_report, name)
        assert isinstance(out, str)
        out.encode("utf-8")  # raises on a lone surrogate


def test_undecodable_file_name_stays_recognisable() -> None:
    report = make_binary_text_report()
    data = json.loads(str(render(report, "json")))
    assert data["findings"][0]["path"] == BAD_PATH_SHOWN
    assert data["components"][0]["evidence"][0]["path"] == BAD_PATH_SHOWN
    assert BAD_PATH_SHOWN in str(render(report, "html"))
    bom = json.loads(str(render(report, "cyclonedx-json")))
    layer = bom["components"][0]
    (component,) = layer["components"]
    assert component["evidence"]["occurrences"][0]["location"] == BAD_PATH_SHOWN
