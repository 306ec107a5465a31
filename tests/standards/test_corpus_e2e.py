"""End to end: real scans of every corpus image, assessed with a complete, a partial and a malformed
declaration, measured against the corpus truth.

The scans come from the shared ``scanned`` fixture (tests/conftest.py: one scan per image and test
run). The clean product is built the way a manufacturer would fix dunmore-ds2: its extracted tree
is copied and the world-writable entries the truth lists get ``chmod o-w``; the copy is scanned
again, assessed, and must then be label-eligible.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from corpus_reports import (
    ATT,
    COMPLETE,
    DATA,
    PARTIAL,
    PW,
    all_truths,
    by_id,
    failing,
    permissions_loose,
    services_exposed,
    single_theme_requirements,
)
from standards_cli import invoke

from corpus import CORPUS
from iotvet.label.eligibility import eligibility
from iotvet.model import Report
from iotvet.pipeline import ScanOptions, scan
from iotvet.standards.engine import assess

TRUTHS = all_truths()


def _image(t: dict[str, Any]) -> Path:
    path = CORPUS / t["image"]["file"]
    assert path.exists(), f"corpus image missing: {path}"
    return path


@pytest.mark.parametrize("t", TRUTHS, ids=lambda t: t["image"]["name"])
def test_scanned_images_with_complete_and_partial_declarations(
    t: dict[str, Any], scanned: Callable[[Path], Report]
) -> None:
    report = scanned(_image(t))
    for decl in (COMPLETE, PARTIAL):
        v = by_id(assess(report, decl, ["all"]))
        if failing(t, PW):
            for key in [
                ("uk-psti", "PSTI-1"),
                ("etsi-en-303-645", "5.1-1"),
                ("nist-ir-8425", "IAC-1b"),
            ]:
                assert v[key].result == "fail", (key, v[key].reason)
        for regime, rid, theme in single_theme_requirements():
            if theme in t["themes"]:
                expected = {"fail"} if failing(t, theme) else {"pass", "not-applicable"}
                assert v[(regime, rid)].result in expected, (regime, rid, v[(regime, rid)].reason)
        assert v[("nist-ir-8425", "IAC-1a")].result == ("fail" if services_exposed(t) else "pass")
        assert v[("nist-ir-8425", "IAC-1c")].result == ("fail" if permissions_loose(t) else "pass")
    partial = by_id(assess(report, PARTIAL, ["uk-psti"]))
    assert partial[("uk-psti", "PSTI-3")].result == "pass"
    assert partial[("uk-psti", "PSTI-2")].result == "needs-declaration"


@pytest.mark.parametrize("t", TRUTHS, ids=lambda t: t["image"]["name"])
def test_malformed_declaration_is_refused_for_every_image(
    t: dict[str, Any], scanned: Callable[[Path], Report], tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    report_path.write_text(scanned(_image(t)).to_json())
    result = invoke("assess", report_path, "-d", DATA / "malformed.yaml", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "malformed.yaml" in result.output and "updates.automatic" in result.output


@pytest.mark.parametrize("t", TRUTHS, ids=lambda t: t["image"]["name"])
def test_label_eligibility_of_scanned_images(
    t: dict[str, Any], scanned: Callable[[Path], Report]
) -> None:
    label = eligibility(assess(scanned(_image(t)), COMPLETE, ["nist-ir-8425"]))
    themes = [
        PW,
        "secure-communication",
        "secure-storage-of-secrets",
        "software-update-integrity",
        "logging",
    ]
    expected = not any(failing(t, th) for th in themes)
    expected = expected and not services_exposed(t) and not permissions_loose(t)
    assert label.eligible == expected, [(b.requirement, b.reason) for b in label.blockers]


def _copy_tree(src: Path, dst: Path) -> None:
    def special(directory: str, names: list[str]) -> list[str]:
        skip = []
        for name in names:
            mode = os.lstat(os.path.join(directory, name)).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                skip.append(name)
        return skip

    shutil.copytree(src, dst, symlinks=True, ignore=special)


def test_fixed_clean_image_is_label_eligible(
    scanned: Callable[[Path], Report], tmp_path: Path
) -> None:
    t = next(t for t in TRUTHS if t["image"]["name"] == "dunmore-ds2")
    report = scanned(_image(t))
    assert not eligibility(assess(report, COMPLETE, ["nist-ir-8425"])).eligible  # as shipped
    roots = [Path(str(r["extracted_to"])) for r in report.rootfs if r.get("kind") == "rootfs"]
    assert len(roots) == 1, report.rootfs
    tree = tmp_path / "rootfs"
    _copy_tree(roots[0], tree)
    for entry in t["findings"]["world_writable"]:
        path = tree / entry["path"].lstrip("/")
        path.chmod(path.lstat().st_mode & ~stat.S_IWOTH & 0o7777)
    fixed = scan(tree, ScanOptions(vulns=False, workdir=tmp_path / "work"))
    theme = {th.theme: th for th in fixed.themes}[ATT]
    assert theme.result == "pass", theme.reason
    verdicts = assess(fixed, COMPLETE, ["all"])
    label = eligibility(verdicts)
    assert label.eligible, [(b.requirement, b.reason) for b in label.blockers]
    report_path = tmp_path / "fixed.json"
    report_path.write_text(fixed.to_json())
    result = invoke("label", report_path, "-d", DATA / "complete.yaml", "-o", tmp_path / "label")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "label" / "label.pdf").exists()
    assert (tmp_path / "label" / "registry-record.json").exists()
