"""iotvet against cve-bin-tool's offline version scanner on the same unpacked corpus trees.

Usage:  .venv/bin/python benchmarks/peers.py [--corpus ../shared/corpus/images] [--venv DIR]

cve-bin-tool is installed from PyPI into its own virtual environment (default
~/.cache/iotvet-bench/cve-bin-tool), its ``VersionScanner`` runs over each tree that iotvet
unpacked, and both tools' (name, version) lists are scored by ``iotvet.evaluate`` against the
corpus truth. Its CPE product names are folded to upstream names with iotvet's own alias table, so
a naming difference does not count against it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from iotvet.context import ScanContext
from iotvet.evaluate import Score, load_truth, score
from iotvet.inventory import run_inventory
from iotvet.inventory.identity import canonical_name, load
from iotvet.limits import Limits
from iotvet.model import Component
from iotvet.unpack import unpack

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus" / "images"
CVE_BIN_TOOL = "cve-bin-tool==3.4"


def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"installing {CVE_BIN_TOOL} into {venv} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", CVE_BIN_TOOL], check=True)
    return python


def name_for_cpe(vendor: str, product: str) -> str:
    """Upstream name of a CPE vendor:product pair, by iotvet's component data (alias fallback)."""
    for identity in load().components.values():
        if any(v == vendor and p == product for _part, v, p in identity.cpe):
            return identity.name
    return canonical_name(product)


def run_cve_bin_tool(python: Path, tree: Path) -> tuple[float, list[Component]]:
    with tempfile.TemporaryDirectory() as home:
        result = Path(home) / "result.json"
        subprocess.run(
            [str(python), str(HERE / "cve_bin_tool_driver.py"), home, str(tree), str(result)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        data = json.loads(result.read_text())
    components = [
        Component(name=name_for_cpe(hit["vendor"], hit["product"]), version=hit["version"])
        for hit in data["found"]
        if hit["version"] and hit["version"] != "UNKNOWN"
    ]
    return float(data["seconds"]), components


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--venv", type=Path, default=Path.home() / ".cache" / "iotvet-bench" / "cve-bin-tool"
    )
    args = parser.parse_args()
    python = ensure_venv(args.venv)

    header = f"{'image':42} {'tool':13} {'prec':>6} {'recall':>6} {'found':>5} {'time s':>7}"
    print(header)
    print("-" * len(header))
    totals: dict[str, list[float]] = {"iotvet": [], "cve-bin-tool": []}
    for truth_file in sorted(args.corpus.glob("*.truth.json")):
        image = truth_file.with_name(truth_file.name.removesuffix(".truth.json"))
        truth = load_truth(truth_file)
        with tempfile.TemporaryDirectory() as work:
            unpacked = unpack(image, Path(work), Limits())
            root = next(r for r in unpacked.roots if r.kind != "binary")
            ctx = ScanContext(roots=[root])
            started = time.perf_counter()
            ours, _os = run_inventory(ctx)
            ours_time = time.perf_counter() - started
            theirs_time, theirs = run_cve_bin_tool(python, root.root)
            for tool, comps, seconds in (
                ("iotvet", ours, ours_time),
                ("cve-bin-tool", theirs, theirs_time),
            ):
                result: Score = score(comps, truth, root, canonical_name)
                totals[tool].append(seconds)
                print(
                    f"{image.name[:42]:42} {tool:13} {result.precision:6.3f} "
                    f"{result.recall:6.3f} {len(result.reported):5d} {seconds:7.2f}"
                )
                if result.false_positives:
                    print(f"{'':42}   false positives: {sorted(result.false_positives)}")
                if result.missed:
                    print(f"{'':42}   missed: {sorted(result.missed)}")
    ours_total, theirs_total = sum(totals["iotvet"]), sum(totals["cve-bin-tool"])
    print(
        f"\ntotal identification time: iotvet {ours_total:.2f} s, cve-bin-tool "
        f"{theirs_total:.2f} s, ratio {theirs_total / ours_total:.1f}× in iotvet's favour"
        if ours_total
        else ""
    )


if __name__ == "__main__":
    main()
