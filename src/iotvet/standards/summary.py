"""Counts and headlines over a list of verdicts: what a manager reads first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..model import Verdict
from .catalog import Catalog, Requirement, load_catalog

RESULTS: tuple[str, ...] = ("pass", "fail", "needs-declaration", "inconclusive", "not-applicable")


@dataclass
class RegimeSummary:
    catalog: Catalog
    verdicts: list[Verdict]
    counts: Counter[str] = field(default_factory=Counter)
    #: how the requirements of this regime are decided (evidence, declaration, …), from the catalog
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def regime(self) -> str:
        return self.catalog.regime

    @property
    def total(self) -> int:
        return len(self.verdicts)

    def requirement(self, verdict: Verdict) -> Requirement:
        return self.catalog.get(verdict.requirement)

    @property
    def headline(self) -> str:
        parts = [f"{self.counts[r]} {r}" for r in RESULTS if self.counts[r]]
        return f"{self.total} requirements: " + ", ".join(parts)


def summarize(verdicts: list[Verdict]) -> list[RegimeSummary]:
    """One summary per regime, in the order the regimes first appear in ``verdicts``."""
    by_regime: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_regime.setdefault(v.regime, []).append(v)
    out: list[RegimeSummary] = []
    for regime, items in by_regime.items():
        catalog = load_catalog(regime)
        out.append(
            RegimeSummary(
                catalog=catalog,
                verdicts=items,
                counts=Counter(v.result for v in items),
                kinds=Counter(catalog.get(v.requirement).decide.kind for v in items),
            )
        )
    return out
