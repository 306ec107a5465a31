"""Eligibility, registry record, QR code, printable label and the UK PSTI statement."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import zxingcpp
from corpus_reports import COMPLETE, PW, all_truths, failing, report_from_truth, truth
from corpus_reports import without_world_writable as clean_truth
from PIL import Image

from iotvet.label.eligibility import eligibility
from iotvet.label.printable import render_label_svg, write_label
from iotvet.label.psti import psti_statement, write_psti
from iotvet.label.qr import symbol, write_qr
from iotvet.label.record import registry_record
from iotvet.model import Report, Verdict
from iotvet.standards.catalog import load_catalog
from iotvet.standards.engine import assess

URL = "https://registry.dunmore.example/ds2"


@pytest.fixture(scope="module")
def clean() -> tuple[Report, list[Verdict]]:
    report = report_from_truth(clean_truth(truth("dunmore")))
    return report, assess(report, COMPLETE, ["all"])


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _decode_qr(pdf: Path, tmp_path: Path) -> list[str]:
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "scan")],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("scan*.png")))
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_registry_record_has_every_fcc_field(clean: tuple[Report, list[Verdict]]) -> None:
    report, verdicts = clean
    label = eligibility(verdicts)
    record = registry_record(report, verdicts, COMPLETE, label, URL)
    expected = [
        r.id for r in load_catalog("fcc-registry").requirements if not r.decide.document_only
    ]
    assert [f["id"] for f in record["fields"]] == expected
    fields = {f["id"]: f for f in record["fields"]}
    assert fields["fcc-reg-1"]["values"] == {"product.name": COMPLETE.product.name}
    assert fields["fcc-reg-9"]["values"] == {
        "support_period.end_date": COMPLETE.support_period.end_date.isoformat()  # type: ignore[union-attr]
    }
    assert fields["fcc-reg-8"]["values"]["updates.automatic"] is True
    assert record["complete"] and record["record_url"] == URL
    assert record["criteria"]["eligible"] and record["assessment"]["firmware_sha256"]


def test_label_qr_decodes_to_the_record_url(
    clean: tuple[Report, list[Verdict]], tmp_path: Path
) -> None:
    _, verdicts = clean
    svg_path, pdf_path = write_label(COMPLETE, eligibility(verdicts), URL, tmp_path)
    ET.fromstring(svg_path.read_text())  # well-formed SVG
    assert _decode_qr(pdf_path, tmp_path) == [URL]
    text = _pdf_text(pdf_path)
    for needle in [
        "CONNECTED DEVICE SECURITY",
        COMPLETE.product.name,
        "NIST IR 8425 criteria",
        "Security updates until 2031-03-31",
        "not the U.S. Cyber Trust Mark",
    ]:
        assert needle in text, needle


def test_standalone_qr_files(tmp_path: Path) -> None:
    svg, png = write_qr(URL, tmp_path)
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(png))] == [URL]
    ET.fromstring(svg.read_text())
    assert symbol(URL).modules in range(21, 178, 4)  # a valid QR version size


def test_no_label_for_an_ineligible_product() -> None:
    report = report_from_truth(truth("acme"))
    label = eligibility(assess(report, COMPLETE, ["nist-ir-8425"]))
    assert not label.eligible
    with pytest.raises(ValueError, match="not label-eligible"):
        render_label_svg(COMPLETE, label, URL)


@pytest.mark.parametrize("t", all_truths(), ids=lambda t: t["image"]["name"])
def test_blockers_name_the_failed_criteria_with_a_fix(t: dict) -> None:  # type: ignore[type-arg]
    label = eligibility(assess(report_from_truth(t), COMPLETE, ["nist-ir-8425"]))
    blocked = {b.requirement: b for b in label.blockers}
    assert ("IAC-1b" in blocked) == failing(t, PW)
    for b in label.blockers:
        assert b.fix and b.reason and b.result in ("fail", "needs-declaration", "inconclusive")


def test_psti_statement_of_compliance(clean: tuple[Report, list[Verdict]], tmp_path: Path) -> None:
    _, verdicts = clean
    statement = psti_statement(verdicts, COMPLETE)
    assert statement.ready, statement.blockers
    _html, pdf = write_psti(statement, tmp_path)
    text = _pdf_text(pdf)
    for heading in [
        "Statement of compliance",
        "Product",
        "Manufacturer",
        "Declaration",
        "Defined support period",
        "Signature",
    ]:
        assert heading in text, heading
    for value in [
        COMPLETE.product.type_or_batch,
        COMPLETE.psti.signatory_name,
        "2031-03-31",
        "PSTI-1",
        "5.1-1",
    ]:
        assert value and value in text, value


def test_psti_statement_blocked_by_default_password() -> None:
    verdicts = assess(report_from_truth(truth("borealis")), COMPLETE, ["all"])
    statement = psti_statement(verdicts, COMPLETE)
    assert not statement.ready
    assert [b.requirement for b in statement.blockers] == ["PSTI-1", "PSTI-SoC-d"]
    with pytest.raises(ValueError):
        write_psti(statement, Path("/nonexistent"))
