"""Both SBOMs of a real scan of every corpus image: valid, and carrying every scanned component."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator
from packageurl import PackageURL
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from corpus import corpus_images, truth_of
from iotvet.model import Report
from iotvet.report.registry import render


@pytest.fixture(params=corpus_images(), ids=lambda p: p.name)
def image(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


@pytest.fixture
def report(image: Path, scanned: Callable[[Path], Report]) -> Report:
    result = scanned(image)
    assert result.components, "the scan found no components: nothing to check the SBOMs against"
    return result


def _canonical(purl: str) -> str:
    return PackageURL.from_string(purl).to_string()


def _walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for c in components:
        yield c
        yield from _walk(c.get("components", []))


def test_cyclonedx_of_a_scan(image: Path, report: Report) -> None:
    text = render(report, "cyclonedx-json")
    assert isinstance(text, str)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    xml = render(report, "cyclonedx-xml")
    assert isinstance(xml, str)
    assert XmlValidator(SchemaVersion.V1_6).validate_str(xml) is None

    bom = json.loads(text)
    firmware = bom["metadata"]["component"]
    assert firmware["hashes"] == [{"alg": "SHA-256", "content": truth_of(image)["image"]["sha256"]}]
    listed = [c for c in _walk(bom["components"]) if c.get("purl")]
    by_purl: dict[str, list[dict[str, Any]]] = {}
    for c in listed:
        by_purl.setdefault(_canonical(c["purl"]), []).append(c)
    for component in report.components:
        assert component.purl, f"{component.ref} has no purl in the report"
        matches = by_purl.get(_canonical(component.purl), [])
        assert any(c["name"] == component.name for c in matches), component.ref
        if component.cpe:
            assert any(c.get("cpe") == component.cpe for c in matches), component.ref
        occurrences = {
            o["location"] for c in matches for o in c.get("evidence", {}).get("occurrences", [])
        }
        assert {e.path for e in component.evidence} <= occurrences


def test_spdx_of_a_scan(report: Report, tmp_path: Path) -> None:
    text = render(report, "spdx-json")
    assert isinstance(text, str)
    path = tmp_path / "scan.spdx.json"
    path.write_text(text, encoding="utf-8")
    messages = validate_full_spdx_document(parse_file(str(path)))
    assert messages == [], [m.validation_message for m in messages[:5]]

    data = json.loads(text)
    refs: dict[str, set[tuple[str, str]]] = {}
    for package in data["packages"]:
        for ref in package.get("externalRefs", []):
            refs.setdefault(package["name"], set()).add(
                (ref["referenceType"], ref["referenceLocator"])
            )
    for component in report.components:
        assert component.purl
        assert ("purl", _canonical(component.purl)) in {
            (kind, _canonical(loc) if kind == "purl" else loc)
            for kind, loc in refs.get(component.name, set())
        }, component.ref
        if component.cpe:
            assert ("cpe23Type", component.cpe) in refs[component.name], component.ref
