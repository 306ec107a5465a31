"""Matrix (HTML, PDF rendered to PNG), ICS table, CycloneDX 1.6 attestation, OSCAL results."""

from __future__ import annotations

import copy
import csv
import io
import json
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from corpus_reports import COMPLETE, report_from_truth, truth, without_world_writable
from trestle.oscal.assessment_results import AssessmentResults

from iotvet.model import Report, Verdict
from iotvet.standards.attestation import AttestationError, build_attestation, validate
from iotvet.standards.catalog import REGIMES, load_catalog
from iotvet.standards.declarations import Declarations
from iotvet.standards.engine import assess
from iotvet.standards.ics import ics_csv, ics_rows
from iotvet.standards.matrix import render_matrix, write_matrix
from iotvet.standards.oscal import build_assessment_results, control_id, render_oscal


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.rows = 0
        self._tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2"):
            self._tag, self.headings = tag, [*self.headings, (tag, "")]
        if tag == "tr":
            self.rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == self._tag:
            self._tag = None

    def handle_data(self, data: str) -> None:
        if self._tag:
            tag, text = self.headings[-1]
            self.headings[-1] = (tag, text + data)


@pytest.fixture(scope="module")
def acme() -> tuple[Report, list[Verdict]]:
    report = report_from_truth(truth("acme"))
    return report, assess(report, COMPLETE, ["all"])


def test_matrix_html_has_summary_every_regime_and_every_verdict(
    acme: tuple[Report, list[Verdict]],
) -> None:
    report, verdicts = acme
    parser = _Headings()
    parser.feed(render_matrix(report, verdicts, COMPLETE))
    titles = [load_catalog(r).title for r in REGIMES]
    assert parser.headings == [
        ("h1", f"Conformity matrix — {COMPLETE.product.name}"),
        ("h2", "Summary"),
        *(("h2", t) for t in titles),
    ]
    # summary table: header + one row per regime; each regime table: header + one row per verdict
    assert parser.rows == (1 + len(REGIMES)) + len(REGIMES) + len(verdicts)


def test_matrix_escapes_declared_text(acme: tuple[Report, list[Verdict]]) -> None:
    report, verdicts = acme
    hostile = Declarations.model_validate(
        {**COMPLETE.model_dump(by_alias=True), "product": {"name": "<script>x</script>"}}
    )
    html = render_matrix(report, verdicts, hostile)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_matrix_pdf_renders_to_png_with_its_headings(
    acme: tuple[Report, list[Verdict]], tmp_path: Path
) -> None:
    report, verdicts = acme
    verdicts = [v for v in verdicts if v.regime in ("uk-psti", "fcc-registry", "nist-ir-8425")]
    _html, pdf_path = write_matrix(
        report, verdicts, COMPLETE, tmp_path / "m.html", tmp_path / "m.pdf"
    )
    assert pdf_path.read_bytes().startswith(b"%PDF")
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "40",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf_path),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png.read_bytes()[16:20]), int.from_bytes(png.read_bytes()[20:24])
    assert width > height  # A4 landscape
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], check=True, capture_output=True, text=True
    ).stdout
    for heading in [
        "Conformity matrix",
        "Summary",
        "Label eligibility (NIST IR 8425): not eligible",
        "NIST IR 8425",
        "UK PSTI",
        "FCC IoT Labeling Program",
    ]:
        assert heading in text, heading
    assert "IAC-1b" in text  # the blocker of a default-password image is named


def test_ics_rows_follow_verdicts_and_keep_manufacturer_answers(
    acme: tuple[Report, list[Verdict]],
) -> None:
    _, verdicts = acme
    rows = ics_rows(verdicts, COMPLETE)
    etsi = {v.requirement: v for v in verdicts if v.regime == "etsi-en-303-645"}
    assert [r.clause for r in rows] == [r.id for r in load_catalog("etsi-en-303-645").requirements]
    mapping = {"pass": "Y", "fail": "N", "not-applicable": "N/A"}
    for row in rows:
        result = etsi[row.clause].result
        if result in mapping:
            assert row.support == mapping[result], row.clause
        elif row.clause in COMPLETE.ics:
            assert row.support == COMPLETE.ics[row.clause].support
            assert "manufacturer statement" in row.detail
        else:
            assert row.support == "" and row.detail.startswith("Open")
    assert next(r for r in rows if r.clause == "5.1-1").support == "N"  # acme: default password
    table = list(csv.reader(io.StringIO(ics_csv(rows))))
    assert table[0][:5] == ["Clause", "Title (paraphrased)", "Status", "V2.1.1", "Support"]
    assert len(table) == 1 + len(rows)


def test_ics_never_claims_what_the_firmware_contradicts(acme: tuple[Report, list[Verdict]]) -> None:
    _, verdicts = acme
    claims = Declarations.model_validate(
        {**COMPLETE.model_dump(by_alias=True), "ics": {"5.1-1": {"support": "Y", "detail": "ok"}}}
    )
    row = next(r for r in ics_rows(verdicts, claims) if r.clause == "5.1-1")
    assert row.support == "N" and row.detail.startswith("Declared Y, but iotvet found N")


def test_attestation_validates_and_carries_catalogs_and_verdicts(
    acme: tuple[Report, list[Verdict]],
) -> None:
    report, verdicts = acme
    doc = build_attestation(report, verdicts)
    assert doc["specVersion"] == "1.6"
    standards = doc["definitions"]["standards"]
    assert {s["bom-ref"] for s in standards} == {f"standard:{r}" for r in REGIMES}
    refs = {req["bom-ref"] for s in standards for req in s["requirements"]}
    assert len(refs) == len(verdicts)
    entries = [e for a in doc["declarations"]["attestations"] for e in a["map"]]
    assert len(entries) == len(verdicts)
    assert {e["requirement"] for e in entries} == refs
    by_ref = {e["requirement"]: e for e in entries}
    for v in verdicts:
        entry = by_ref[f"requirement:{v.regime}:{v.requirement}"]
        assert ("counterClaims" in entry) == (v.result == "fail")
        assert entry["conformance"]["score"] == (
            1.0 if v.result in ("pass", "not-applicable") else 0
        )
    claims = {c["bom-ref"]: c for c in doc["declarations"]["claims"]}
    target = doc["metadata"]["component"]["bom-ref"]
    assert all(c["target"] == target for c in claims.values())
    components = {c["name"] for c in doc["components"]}  # the SBOM travels with the attestation
    assert {c.name for c in report.components} == components


def test_attestation_schema_check_rejects_a_broken_document(
    acme: tuple[Report, list[Verdict]],
) -> None:
    report, verdicts = acme
    doc = copy.deepcopy(build_attestation(report, verdicts))
    doc["declarations"]["attestations"][0]["map"][0]["conformance"]["score"] = 2
    with pytest.raises(AttestationError):
        validate(doc)
    doc = copy.deepcopy(build_attestation(report, verdicts))
    doc["declarations"]["claims"][0]["unknown"] = True
    with pytest.raises(AttestationError):
        validate(doc)


def test_oscal_assessment_results_round_trip(
    acme: tuple[Report, list[Verdict]], tmp_path: Path
) -> None:
    report, verdicts = acme
    path = tmp_path / "ar.json"
    path.write_text(render_oscal(report, verdicts))
    read = AssessmentResults.oscal_read(path)
    assert isinstance(read, AssessmentResults)
    findings = [f for r in read.results for f in r.findings or []]
    assert len(read.results) == len(REGIMES) and len(findings) == len(verdicts)
    states = {f.target.target_id: f.target.status.state.value for f in findings if f.target.status}
    for v in verdicts:
        expected = "satisfied" if v.result in ("pass", "not-applicable") else "not-satisfied"
        assert states[control_id(v.regime, v.requirement)] == expected
    assert len(states) == len(verdicts)  # ids stay unique after token cleaning ("13.16/17")
    raw = json.loads(path.read_text())["assessment-results"]
    assert raw["import-ap"]["href"] == "#" + raw["back-matter"]["resources"][0]["uuid"]


def test_oscal_model_rejects_invalid_data(acme: tuple[Report, list[Verdict]]) -> None:
    report, verdicts = acme
    doc = json.loads(build_assessment_results(report, verdicts).oscal_serialize_json())
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] = "maybe"
    with pytest.raises(ValueError):
        AssessmentResults.model_validate(doc["assessment-results"])


def test_outputs_of_a_clean_product(tmp_path: Path) -> None:
    report = report_from_truth(without_world_writable(truth("dunmore")))
    verdicts = assess(report, COMPLETE, ["all"])
    assert "Label eligibility (NIST IR 8425): eligible." in render_matrix(
        report, verdicts, COMPLETE
    )
    build_attestation(report, verdicts)
    build_assessment_results(report, verdicts)
