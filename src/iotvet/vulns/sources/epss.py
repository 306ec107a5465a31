"""FIRST EPSS daily scores (``epss_scores-YYYY-MM-DD.csv.gz``).

FIRST's layout: a comment line ``#model_version:…,score_date:…`` then ``cve,epss,percentile``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import IO

SOURCE = "epss"


def looks_like(head: str) -> bool:
    return "cve,epss" in head.replace(" ", "").lower()[:400]


def read(stream: IO[str], meta: dict[str, str]) -> Iterator[tuple[str, float, float]]:
    """Rows (cve, score, percentile); fills ``meta`` with ``model_version`` and ``score_date``."""
    reader = csv.reader(stream)
    for row in reader:
        if not row:
            continue
        first = row[0].strip()
        if first.startswith("#"):
            for part in ",".join(row).lstrip("#").split(","):
                key, _, value = part.partition(":")
                if key.strip():
                    meta[key.strip()] = value.strip()
            continue
        if first.lower() == "cve":
            continue
        if not re.match(r"^CVE-\d{4}-\d+$", first) or len(row) < 3:
            continue
        try:
            yield first, float(row[1]), float(row[2])
        except ValueError:
            continue
