"""End to end on every corpus image: ``iotvet scan`` measured against the image's ground truth.

Precision is over every (name, version) the scan reports; recall over the truth components whose
upstream version occurs in the bytes of their own files (issue 2). Theme verdicts must equal the
truth file's. All numbers come from the truth files, none from our own output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from corpus import corpus_images, truth_of
from iotvet.evaluate import score
from iotvet.inventory.identity import canonical_name
from iotvet.model import Report
from iotvet.rootfs import RootFS

IMAGES = corpus_images()


def _root(report: Report) -> RootFS:
    roots = [r for r in report.rootfs if r["kind"] != "binary"]
    assert len(roots) == 1, report.rootfs
    return RootFS(Path(str(roots[0]["extracted_to"])), label=str(roots[0]["path"]))


@pytest.mark.parametrize("image", IMAGES, ids=lambda p: p.name)
def test_inventory_precision_and_recall(image: Path, scanned: Callable[[Path], Report]) -> None:
    report = scanned(image)
    truth = truth_of(image)
    result = score(report.components, truth, _root(report), canonical_name)
    assert result.knowable, "the truth must contain components a scanner can know"
    assert result.precision >= 0.95, f"false positives: {sorted(result.false_positives)}"
    assert result.recall >= 0.90, f"missed: {sorted(result.missed)}"


@pytest.mark.parametrize("image", IMAGES, ids=lambda p: p.name)
def test_theme_verdicts_equal_truth(image: Path, scanned: Callable[[Path], Report]) -> None:
    report = scanned(image)
    truth = truth_of(image)
    themes = truth["themes"]
    assert isinstance(themes, dict)
    got = {t.theme: t.result for t in report.themes}
    for theme, expected in themes.items():
        assert got.get(theme) == expected["result"].lower(), (theme, expected["reasons"])


@pytest.mark.parametrize("image", IMAGES, ids=lambda p: p.name)
def test_report_contract(image: Path, scanned: Callable[[Path], Report]) -> None:
    """The JSON follows DESIGN.md's contract: schema id, target hash, layers, evidence paths."""
    report = scanned(image)
    truth = truth_of(image)
    document = json.loads(report.to_json())
    assert document["schema"] == "iotvet/report/1"
    truth_image = truth["image"]
    assert isinstance(truth_image, dict)
    assert document["target"]["sha256"] == truth_image["sha256"]
    assert document["layers"], "the layer tree must not be empty"
    for component in document["components"]:
        assert component["evidence"], component["name"]
        for evidence in component["evidence"]:
            assert evidence["path"].startswith("/"), evidence
    for finding in document["findings"]:
        assert finding["id"].startswith("F")
        assert finding["path"] is None or finding["path"].startswith("/")
    for stage in ("unpack", "inventory", "checks", "themes"):
        assert stage in document["stats"]["stages"]
    assert isinstance(document["stats"]["sandboxed"], bool), "say whether extraction was sandboxed"
