"""Whatever text a scan puts into components, both SBOMs stay valid (hypothesis-generated)."""

from __future__ import annotations

import json
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from iotvet.model import Component, Evidence, Layer, Report, Target, Tool, Vulnerability
from iotvet.report.cyclonedx import render_json, render_xml
from iotvet.report.spdx import render_json as render_spdx

text = st.text(max_size=24)
maybe = st.none() | text
components = st.builds(
    Component,
    name=text,
    version=maybe,
    revision=maybe,
    purl=maybe | st.just("pkg:generic/x@1"),
    cpe=maybe | st.just("cpe:2.3:a:x:x:1:*:*:*:*:*:*:*"),
    supplier=maybe,
    type=st.sampled_from(["library", "application", "firmware", "odd"]) | text,
    licenses=st.lists(text | st.sampled_from(["MIT", "GPL-2.0-only OR MIT"]), max_size=2),
    hashes=st.dictionaries(text | st.just("sha256"), text, max_size=2),
    files=st.lists(text, max_size=2),
    evidence=st.lists(st.builds(Evidence, path=text, method=text, detail=maybe), max_size=2),
    layer=maybe | st.just("fw/rootfs"),
    package=maybe,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(found=st.lists(components, max_size=4), target=text)
def test_sboms_of_arbitrary_components_are_valid(
    found: list[Component], target: str, tmp_path: Path
) -> None:
    vulns = [Vulnerability(id="CVE-2024-0001", component=c.ref) for c in found[:1]]
    report = Report(
        tool=Tool(version="0.1.0"),
        target=Target(path=target or "x"),
        layers=[Layer(path="fw", format="x", children=[Layer(path="fw/rootfs", format="y")])],
        components=found,
        vulnerabilities=vulns,
    )
    cdx = render_json(report)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cdx) is None
    assert XmlValidator(SchemaVersion.V1_6).validate_str(render_xml(report)) is None
    path = tmp_path / "sbom.spdx.json"
    path.write_text(render_spdx(report), encoding="utf-8")
    messages = validate_full_spdx_document(parse_file(str(path)))
    assert messages == [], [m.validation_message for m in messages]
    assert len(json.loads(path.read_text())["packages"]) == 3 + len(found)
