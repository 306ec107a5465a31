#!/usr/bin/env python3
"""Count the CPE part:vendor:product triples in the shared NVD snapshot, or check a data file.

Why: every CPE mapping in src/iotvet/data/components.yaml must be one NVD actually uses, or the
vulnerability matcher silently finds nothing. This script is the source the YAML cites
("nvd-snapshot"); it reads the feeds in their native formats without iotvet's importers so the
check does not depend on the code it checks.

    python tools/nvd_cpe_pairs.py              # "count<TAB>part:vendor:product", most used first
    python tools/nvd_cpe_pairs.py --grep curl  # only triples containing "curl"
    python tools/nvd_cpe_pairs.py --check src/iotvet/data/components.yaml
        # exit 1 and list every triple of the data file that is not in the snapshot
        # (triples declared in `cpe_external` with a known source are exempt)
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path

import yaml

DEFAULT_VULNDATA = Path(__file__).resolve().parents[2] / "shared" / "vulndata"
# A CPE 2.3 formatted string up to its product field; vendor/product may hold escaped characters.
_CPE = re.compile(rb'cpe:2\.3:([aoh]):((?:[^:\\"]|\\.)+):((?:[^:\\"]|\\.)+):')


def _triples(data: bytes) -> set[str]:
    return {b":".join(m).decode("utf-8", "replace") for m in _CPE.findall(data)}


def count_triples(vulndata: Path) -> Counter[str]:
    """Number of records (CVE items / files) naming each part:vendor:product."""
    counts: Counter[str] = Counter()
    feeds = sorted((vulndata / "nvd-1.1").glob("*.json.gz"))
    if not feeds:
        raise SystemExit(f"{vulndata}/nvd-1.1: no NVD JSON 1.1 feed files found")
    item_start = re.compile(rb'\{\s*"cve"\s*:')
    for feed in feeds:
        data = gzip.decompress(feed.read_bytes())
        starts = [m.start() for m in item_start.finditer(data)] + [len(data)]
        for begin, end in itertools.pairwise(starts):
            counts.update(_triples(data[begin:end]))
    for archive in ("nvd-2.0-overrides.zip", "cve5-records.zip"):
        path = vulndata / archive
        if path.exists():
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    if not name.endswith("/"):
                        counts.update(_triples(zf.read(name)))
    return counts


def check(data_file: Path, known: Counter[str]) -> list[str]:
    """Triples of the data file that the snapshot does not contain and that are not declared."""
    doc = yaml.safe_load(data_file.read_text())
    problems = []
    for name, entry in (doc.get("components") or {}).items():
        entry = entry or {}
        external = entry.get("cpe_external") or {}
        for triple in entry.get("cpe") or []:
            if triple in known:
                continue
            if triple in external and external[triple] in (doc.get("sources") or {}):
                continue
            problems.append(f"{name}: {triple} not in the NVD snapshot and not in cpe_external")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vulndata", type=Path, default=DEFAULT_VULNDATA)
    parser.add_argument("--grep", help="only triples whose text contains this")
    parser.add_argument("--check", type=Path, help="components.yaml to verify")
    args = parser.parse_args()
    counts = count_triples(args.vulndata)
    if args.check:
        problems = check(args.check, counts)
        for line in problems:
            print(line)
        print(f"{len(problems)} unverified CPE triples", file=sys.stderr)
        return 1 if problems else 0
    for triple, count in counts.most_common():
        if args.grep is None or args.grep in triple:
            print(f"{count}\t{triple}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
