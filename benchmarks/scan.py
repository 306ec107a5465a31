"""Scan speed and memory per image, against unblob's extraction alone in the same run.

Usage:  .venv/bin/python benchmarks/scan.py [IMAGE ...]   (default: every corpus image)

For each image (fastest of ``--repeat`` runs, since a shared machine only ever adds time) it
prints the time of every pipeline stage and of every check family, the throughput (image MB/s and
unpacked MB/s), the peak RSS of the scan, and the ratio of the full scan to unblob's extraction
alone (same handlers, same machine, same run; goal ≤ 1.5×). Each run is measured in a fresh
interpreter so that peak RSS belongs to that scan alone; module imports are done before the clock
starts on both sides (a CLI run adds them to both).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus" / "images"
MiB = 1024 * 1024


def _unblob_alone(image: Path) -> dict[str, object]:
    from iotvet.limits import Limits
    from iotvet.pipeline import peak_rss_mb
    from iotvet.unpack import unblob_only

    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        unblob_only(image, Path(work), Limits())
        return {"seconds": time.perf_counter() - started, "rss_mb": peak_rss_mb()}


def _full_scan(image: Path) -> dict[str, object]:
    # Import the stage modules before the clock starts, as unblob's are for the baseline:
    # the ratio compares work on the image, not interpreter start-up.
    import iotvet.inventory
    import iotvet.vulns
    from iotvet.checks.registry import families
    from iotvet.pipeline import ScanOptions, scan

    assert iotvet.inventory.identifiers() and iotvet.vulns and families()

    with tempfile.TemporaryDirectory() as work:
        report = scan(image, ScanOptions(workdir=Path(work)))
    return {
        "seconds": report.stats.duration_s,
        "stages": report.stats.stages,
        "rss_mb": report.stats.peak_rss_mb,
        "bytes_unpacked": report.stats.bytes_unpacked,
        "files": report.stats.files,
        "components": len(report.components),
        "findings": len(report.findings),
    }


def _seconds(result: dict[str, object]) -> float:
    return float(str(result["seconds"]))


MODES = {"unblob": _unblob_alone, "full": _full_scan}


def _measure(mode: str, image: Path) -> dict[str, object]:
    """Run one measurement in a fresh interpreter so its peak RSS is its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(image)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode; the fastest counts")
    parser.add_argument("--child", choices=sorted(MODES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(MODES[args.child](args.images[0])))
        return
    images = args.images or sorted(
        p for p in DEFAULT_CORPUS.iterdir() if p.is_file() and not p.name.endswith(".json")
    )
    rows = []
    for image in images:
        size_mb = image.stat().st_size / MiB
        alone = min((_measure("unblob", image) for _ in range(args.repeat)), key=_seconds)
        full = min((_measure("full", image) for _ in range(args.repeat)), key=_seconds)
        ratio = float(full["seconds"]) / float(alone["seconds"])  # type: ignore[arg-type]
        unpacked_mb = int(full["bytes_unpacked"]) / MiB  # type: ignore[call-overload]
        print(f"\n{image.name}  ({size_mb:.1f} MB image, {unpacked_mb:.1f} MB unpacked)")
        stages = full["stages"]
        assert isinstance(stages, dict)
        for stage, seconds in stages.items():
            indent = "    " if "/" in stage else "  "
            print(f"{indent}{stage:<28} {seconds:8.3f} s")
        total = float(full["seconds"])  # type: ignore[arg-type]
        print(
            f"  full scan {total:.2f} s = {size_mb / total:.1f} MB/s image, "
            f"{unpacked_mb / total:.1f} MB/s unpacked; peak RSS {full['rss_mb']} MB; "
            f"{full['components']} components, {full['findings']} findings"
        )
        print(
            f"  unblob alone {float(alone['seconds']):.2f} s (peak RSS {float(alone['rss_mb']):.0f}"  # type: ignore[arg-type]
            f" MB)  →  ratio full/unblob {ratio:.2f}×  (goal ≤ 1.50×)"
        )
        rows.append({"image": image.name, "full": full, "unblob_alone": alone, "ratio": ratio})
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
