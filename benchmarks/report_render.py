"""How fast each output format renders a large report (2 000 components, 10 000 findings).

Run: .venv/bin/python benchmarks/report_render.py [--components N] [--findings N] [--vulns N]
Prints seconds and output size per format. The report is synthetic but shaped like a scan:
components with evidence, files and per-file hashes in two root file systems, findings of every
severity, vulnerabilities with CVSS, KEV and VEX statuses.
"""

from __future__ import annotations

import argparse
import hashlib
import time

from iotvet.model import (
    Component,
    Cvss,
    Evidence,
    Finding,
    Layer,
    Report,
    Target,
    ThemeVerdict,
    Tool,
    Vulnerability,
)
from iotvet.report.registry import formats

SEVERITIES = ("critical", "high", "medium", "low", "info")
STATUSES = ("affected", "affected", "not_affected", "under_investigation", "fixed")


def _digest(text: str, algo: str) -> str:
    return hashlib.new(algo, text.encode()).hexdigest()


def big_report(n_components: int, n_findings: int, n_vulns: int) -> Report:
    roots = ["fw.bin/squashfs", "fw.bin/jffs2"]
    layers = [
        Layer(
            path="fw.bin",
            format="trx",
            size=32 << 20,
            children=[Layer(path=r, format=r.rsplit("/", 1)[1], role="rootfs") for r in roots],
        )
    ]
    components = []
    for n in range(n_components):
        name, version = f"lib{n % 700}", f"1.{n % 13}.{n}"
        files = [f"/usr/lib/{name}.so.{n}", f"/usr/lib/{name}.so.{n}.0"]
        components.append(
            Component(
                name=name,
                version=version,
                purl=f"pkg:generic/{name}@{version}",
                cpe=f"cpe:2.3:a:{name}:{name}:{version}:*:*:*:*:*:*:*",
                licenses=["GPL-2.0-only"] if n % 2 else ["MIT", "vendor licence"],
                supplier="Vendor <dev@vendor.example>",
                files=files,
                file_hashes={
                    f: {"sha256": _digest(f, "sha256"), "sha1": _digest(f, "sha1")} for f in files
                },
                evidence=[Evidence(path=files[0], method="binary-signature", detail=version)],
                layer=roots[n % 2],
            )
        )
    findings = [
        Finding(
            id=f"F{n}",
            check=f"family{n % 9}.check{n % 31}",
            severity=SEVERITIES[n % 5],
            path=f"/etc/conf{n}",
            title=f"finding number {n}",
            detail="x" * 80,
            themes=["minimised-attack-surface"],
        )
        for n in range(n_findings)
    ]
    vulns = [
        Vulnerability(
            id=f"CVE-2024-{n:05d}",
            component=components[n % n_components].ref,
            severity=SEVERITIES[n % 4],
            cvss=Cvss(
                version="3.1",
                score=5.0 + n % 5,
                vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            ),
            cwes=["CWE-787"],
            kev=n % 50 == 0,
            epss=0.01,
            status=STATUSES[n % 5],
            justification="vulnerable_code_not_present" if n % 5 == 2 else None,
        )
        for n in range(n_vulns)
    ]
    return Report(
        tool=Tool(version="bench"),
        target=Target(path="/data/fw.bin", sha256=_digest("fw", "sha256"), size=32 << 20),
        layers=layers,
        components=components,
        findings=findings,
        vulnerabilities=vulns,
        themes=[ThemeVerdict(theme="logging", result="fail", reason="none")],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=2000)
    parser.add_argument("--findings", type=int, default=10000)
    parser.add_argument("--vulns", type=int, default=1000)
    args = parser.parse_args()
    report = big_report(args.components, args.findings, args.vulns)
    print(f"{args.components} components, {args.findings} findings, {args.vulns} vulnerabilities")
    for name, fmt in formats().items():
        start = time.perf_counter()
        out = fmt.render(report)
        seconds = time.perf_counter() - start
        size = len(out.encode() if isinstance(out, str) else out)
        print(f"{name:16s} {seconds:7.2f} s  {size / 1e6:7.2f} MB")


if __name__ == "__main__":
    main()
