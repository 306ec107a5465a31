"""Measure an inventory against a ground-truth file (the corpus ``*.truth.json`` schema).

Used by the accuracy tests and by ``benchmarks/`` (ours and a peer tool's results are scored by
the same code). The rules follow issue 2:

* precision is over every (name, version) pair reported — operating-system identity components
  (the vendor's firmware release, which is no package) are not part of the truth and are left out;
* recall is over the truth components whose upstream version string occurs in the bytes of at
  least one of their own files — the ones a binary scanner can know at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .model import Component
from .rootfs import RootFS

Pair = tuple[str, str]


@dataclass
class Score:
    reported: set[Pair] = field(default_factory=set)
    truth: set[Pair] = field(default_factory=set)
    knowable: set[Pair] = field(default_factory=set)

    @property
    def true_positives(self) -> set[Pair]:
        return self.reported & self.truth

    @property
    def false_positives(self) -> set[Pair]:
        return self.reported - self.truth

    @property
    def missed(self) -> set[Pair]:
        return self.knowable - self.reported

    @property
    def precision(self) -> float:
        return len(self.true_positives) / len(self.reported) if self.reported else 1.0

    @property
    def recall(self) -> float:
        found = self.knowable & self.reported
        return len(found) / len(self.knowable) if self.knowable else 1.0


def load_truth(truth_path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(truth_path.read_text())
    return data


def truth_pairs(truth: dict[str, object], canonical: Callable[[str], str]) -> set[Pair]:
    components = truth["components"]
    assert isinstance(components, list)
    return {(canonical(c["name"]), c["upstream_version"]) for c in components}


def knowable_pairs(
    truth: dict[str, object], root: RootFS, canonical: Callable[[str], str]
) -> set[Pair]:
    """Truth pairs whose version string is present in the bytes of one of their own files."""
    components = truth["components"]
    assert isinstance(components, list)
    knowable: set[Pair] = set()
    for comp in components:
        needle = str(comp["upstream_version"]).encode()
        for item in comp.get("files", []):
            if item.get("type") != "file":
                continue
            data = root.read_bytes(item["path"])
            if data is not None and needle in data:
                knowable.add((canonical(comp["name"]), comp["upstream_version"]))
                break
    return knowable


def reported_pairs(components: Iterable[Component], canonical: Callable[[str], str]) -> set[Pair]:
    return {
        (canonical(c.name), c.version)
        for c in components
        if c.version and c.type != "operating-system"
    }


def score(
    components: Iterable[Component],
    truth: dict[str, object],
    root: RootFS,
    canonical: Callable[[str], str],
) -> Score:
    return Score(
        reported=reported_pairs(components, canonical),
        truth=truth_pairs(truth, canonical),
        knowable=knowable_pairs(truth, root, canonical),
    )
