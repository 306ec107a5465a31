"""Supplier score and product risk, computed by hand from the weights in supplier_scoring.yaml."""

from __future__ import annotations

from datetime import date

import pytest

from iotvet.model import Component, Finding, Vulnerability
from iotvet.suppliers.config import scoring
from iotvet.suppliers.history import History, Release
from iotvet.suppliers.metrics import Metrics, measure
from iotvet.suppliers.scoring import linear, measured_score, product_risk, supplier_score


@pytest.fixture
def metrics() -> Metrics:
    """One high vulnerability fixed 60 days after publication, releases 60 days apart."""
    high = Vulnerability(id="V", component="zlib@1", severity="high", published="2024-01-01")
    components = [Component(name="zlib", version="1")]
    history = History(
        "p",
        [
            Release("1", date(2024, 1, 1), components, [high]),
            Release("2", date(2024, 3, 1), components),  # 2024-01-01 + 60 days
        ],
    )
    return measure([history], scoring().policy, date(2024, 3, 10))


def test_linear() -> None:
    assert linear(30, 30, 365) == 100 and linear(365, 30, 365) == 0
    assert linear(1000, 30, 365) == 0 and linear(0, 30, 365) == 100
    assert linear(0.5, 1.0, 0.0) == 50


def test_measured_score_by_hand(metrics: Metrics) -> None:
    """Parts (weights 30/25/20/10/10/5, hardening unmeasured → left out, 90 remain):
    timeliness 60 d → (365−60)/(365−30) = 91.0; control 1/1 → 100; KEV 0 days → 100;
    SBOM: version 100 %, CPE/supplier/licence 0 % → mean 25; cadence 60 d gap → 100.
    (30×91 + 25×100 + 20×100 + 10×25 + 5×100) / 90 = 7980 / 90 = 88.67
    """
    score, parts = measured_score(metrics)
    assert score == 88.7
    by_part = {p.part: p for p in parts}
    assert by_part["measured.update-timeliness"].sub_score == 91.0
    assert by_part["measured.binary-hardening"].weight == 0
    assert "left out" in by_part["measured.binary-hardening"].explanation
    assert by_part["measured.sbom-completeness"].value == 25.0
    assert sum(p.weight for p in parts) == pytest.approx(1.0, abs=1e-3)


def test_supplier_score_combines_halves_and_penalties(metrics: Metrics) -> None:
    """0.4 × 50 (questionnaire) + 0.6 × 88.7 (measured) − 5 (one contradiction) = 68.2"""
    result = supplier_score("S", 50.0, metrics, contradictions=1)
    assert result.score == 68.2
    assert result.coverage == "questionnaire+measured"
    assert result.penalty == 5
    assert result.score == round(sum(c.points for c in result.contributions[:3]), 1)
    only_q = supplier_score("S", 50.0, None)
    assert (only_q.score, only_q.coverage) == (50.0, "questionnaire-only")
    assert supplier_score("S", None, None).score is None
    capped = supplier_score("S", 50.0, metrics, contradictions=9)
    assert capped.penalty == scoring().supplier_score.contradiction_penalty_cap


def test_product_risk_by_hand() -> None:
    """Latest release: one critical KEV (10 + 15) and one high (5) → components 30.
    Suppliers: device maker scored 68.2 → risk 31.8 (weight 1); two open-source projects
    unscored → 50 each, mean 50 (weight 0.3) → (31.8 + 0.3 × 50) / 1.3 = 36.0.
    Hardening mean 72.7 → 27.3.  Risk = 0.5 × 30 + 0.3 × 36.0 + 0.2 × 27.3 = 31.26 → 31.3
    """
    latest = Release(
        "2",
        date(2024, 6, 1),
        vulnerabilities=[
            Vulnerability(id="A", component="busybox@1", severity="critical", kev=True),
            Vulnerability(id="B", component="zlib@1", severity="high"),
            Vulnerability(id="C", component="zlib@1", severity="high", status="not_affected"),
        ],
        findings=[Finding(check="x", severity="info", title="t")],
    )
    risk = product_risk(
        "P",
        latest,
        [
            ("Maker", "device-maker", 68.2),
            ("zlib", "open-source-project", None),
            ("busybox", "open-source-project", None),
        ],
        72.7,
        scoring().policy,
    )
    parts = {c.part: c for c in risk.contributions}
    assert parts["components"].value == 30
    assert parts["suppliers"].value == 36.0
    assert parts["hardening"].value == 27.3
    assert risk.risk == 31.3
    assert [(c.component, c.points) for c in risk.components] == [("busybox", 25), ("zlib", 5)]
