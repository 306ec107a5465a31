"""The format registry: discovery, dispatch by name and by file name."""

from __future__ import annotations

import pytest

from iotvet.model import Report
from iotvet.report.interface import OutputFormat
from iotvet.report.registry import format_for_path, formats, render

OURS = {"json", "table", "html", "cyclonedx-json", "cyclonedx-xml", "spdx-json"}


def test_every_format_module_is_discovered() -> None:
    found = formats()
    assert set(found) >= OURS
    for name, fmt in found.items():
        assert isinstance(fmt, OutputFormat)
        assert fmt.name == name
        assert fmt.suffix.startswith(".")


def test_unknown_format_names_the_known_ones(sample_report: Report) -> None:
    with pytest.raises(KeyError, match="cyclonedx-json"):
        render(sample_report, "no-such-format")


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("report.json", "json"),
        ("fw.CDX.JSON", "cyclonedx-json"),
        ("out/fw.cdx.xml", "cyclonedx-xml"),
        ("fw.spdx.json", "spdx-json"),
        ("index.html", "html"),
        ("summary.txt", "table"),
        ("image.bin", None),
    ],
)
def test_format_follows_the_longest_matching_suffix(file_name: str, expected: str | None) -> None:
    assert format_for_path(file_name) == expected


@pytest.mark.parametrize("name", sorted(OURS))
def test_every_format_renders_every_shape_of_report(any_report: Report, name: str) -> None:
    """Empty reports, odd names, duplicates and broken identifiers never break a writer."""
    text = render(any_report, name)
    assert isinstance(text, str)
    assert len(text) > 100
