"""``iotvet declare init|check``, ``iotvet assess`` and ``iotvet label`` through Typer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpus_reports import DATA, report_from_truth, truth, without_world_writable
from standards_cli import invoke

from iotvet.model import Report
from iotvet.standards.catalog import REGIMES, load_catalog


def _report_file(tmp_path: Path, name: str, clean: bool = False) -> Path:
    t = truth(name)
    path = tmp_path / f"{name}.report.json"
    path.write_text(report_from_truth(without_world_writable(t) if clean else t).to_json())
    return path


def test_declare_init_then_check(tmp_path: Path) -> None:
    target = tmp_path / "x.yaml"
    result = invoke("declare", "init", "Acme AX1800", "-o", target)
    assert result.exit_code == 0, result.output
    assert target.exists()
    assert invoke("declare", "check", target).exit_code == 0
    again = invoke("declare", "init", "Acme AX1800", "-o", target)
    assert again.exit_code == 2 and "exists" in again.output


def test_declare_check_malformed_names_file_and_fields() -> None:
    result = invoke("declare", "check", DATA / "malformed.yaml")
    assert result.exit_code == 2
    assert "malformed.yaml" in result.output
    for field in ("product.modle", "support_period.end_date", "updates.automatic"):
        assert field in result.output


def test_assess_writes_every_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report_file = _report_file(tmp_path, "acme")
    result = invoke("assess", report_file, "-d", DATA / "complete.yaml", "-o", out, "--no-pdf")
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert names == {
        "report.json",
        "matrix.html",
        "ics-en-303-645.html",
        "ics-en-303-645.csv",
        "attestation.cdx.json",
        "assessment-results.oscal.json",
    }
    report = Report.model_validate_json((out / "report.json").read_text())
    total = sum(len(load_catalog(r).requirements) for r in REGIMES)
    assert len(report.conformity) == total
    assert json.loads((out / "attestation.cdx.json").read_text())["specVersion"] == "1.6"


def test_assess_one_regime(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report_file = _report_file(tmp_path, "cobalt")
    result = invoke("assess", report_file, "--regime", "uk-psti", "-o", out, "--no-pdf")
    assert result.exit_code == 0, result.output
    report = Report.model_validate_json((out / "report.json").read_text())
    assert {v.regime for v in report.conformity} == {"uk-psti"}
    assert not (out / "ics-en-303-645.csv").exists()


@pytest.mark.parametrize(
    ("content", "needle"),
    [('{"schema": "something/else"}', "not an iotvet report"), ("{nope", "not a readable JSON")],
)
def test_assess_rejects_bad_reports(tmp_path: Path, content: str, needle: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = invoke("assess", bad, "-o", tmp_path / "o")
    assert result.exit_code == 2 and needle in result.output and "bad.json" in result.output


def test_assess_rejects_malformed_declarations(tmp_path: Path) -> None:
    report_file = _report_file(tmp_path, "acme")
    result = invoke("assess", report_file, "-d", DATA / "malformed.yaml", "-o", tmp_path / "o")
    assert result.exit_code == 2
    assert "malformed.yaml" in result.output and "support_period.end_date" in result.output
    assert not (tmp_path / "o").exists()


def test_label_for_an_eligible_product(tmp_path: Path) -> None:
    out = tmp_path / "label"
    report_file = _report_file(tmp_path, "dunmore", clean=True)
    result = invoke("label", report_file, "-d", DATA / "complete.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    assert "label-eligible" in result.output
    assert {p.name for p in out.iterdir()} == {
        "registry-record.json",
        "qr.svg",
        "qr.png",
        "label.svg",
        "label.pdf",
        "psti-statement-of-compliance.html",
        "psti-statement-of-compliance.pdf",
    }


def test_label_refused_with_blockers_and_fixes(tmp_path: Path) -> None:
    out = tmp_path / "label"
    report_file = _report_file(tmp_path, "acme")
    result = invoke("label", report_file, "-d", DATA / "complete.yaml", "-o", out)
    assert result.exit_code == 1
    assert "not label-eligible" in result.output
    assert "IAC-1b" in result.output and "fix:" in result.output
    assert "PSTI-1" in result.output  # the PSTI statement is blocked too
    assert not (out / "label.svg").exists() and not (out / "registry-record.json").exists()


def test_label_needs_a_registry_url(tmp_path: Path) -> None:
    decl = tmp_path / "d.yaml"
    decl.write_text(
        (DATA / "complete.yaml")
        .read_text()
        .replace("registry_url: https://registry.dunmore.example/ds2", "registry_url:")
    )
    report_file = _report_file(tmp_path, "dunmore", clean=True)
    result = invoke("label", report_file, "-d", decl, "-o", tmp_path / "o")
    assert result.exit_code == 2 and "fcc.registry_url" in result.output
