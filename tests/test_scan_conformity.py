"""`iotvet scan --declarations` fills the report's conformity section (DESIGN.md contract)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from corpus import CORPUS

TESTS = Path(__file__).resolve().parent
COMPLETE = TESTS / "standards" / "data" / "complete.yaml"


def test_scan_with_declarations_reports_a_verdict_per_requirement(tmp_path: Path) -> None:
    image = CORPUS / "acme_ax1800_v1.4.2_r18233.uimg"  # truth: root/admin default password
    output = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "iotvet",
            "scan",
            str(image),
            "-d",
            str(COMPLETE),
            "-o",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    conformity = json.loads(output.read_text())["conformity"]
    regimes = {v["regime"] for v in conformity}
    assert {"nist-ir-8425", "etsi-en-303-645", "eu-cra", "uk-psti"} <= regimes
    verdict = {(v["regime"], v["requirement"]): v for v in conformity}
    for key in (("etsi-en-303-645", "5.1-1"), ("uk-psti", "PSTI-1")):
        assert verdict[key]["result"] == "fail", verdict[key]
        assert "/etc/shadow" in verdict[key]["evidence"]
