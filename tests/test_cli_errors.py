"""CLI error paths: every unusable input ends with exit code 2 and a message naming the file."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# root reads any file whatever its mode; without these two capabilities it obeys the mode bits
DROP_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def run_cli(*args: str, obey_modes: bool = False) -> subprocess.CompletedProcess[str]:
    prefix = DROP_DAC if obey_modes and os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "iotvet", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )


def assert_refused(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit code 2 (unusable input), and the message holds each of ``needles``."""
    assert result.returncode == 2, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture
def public_dir() -> Iterator[Path]:
    """A directory every user may enter (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="iotvet-cli-"))
    path.chmod(0o755)
    yield path
    for child in path.iterdir():
        child.chmod(0o644)
        child.unlink()
    path.rmdir()


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-firmware.bin"
    assert_refused(run_cli("scan", str(missing)), str(missing), "no such file")


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    assert_refused(run_cli("scan", str(empty)), str(empty), "empty")


def test_unreadable_file(public_dir: Path) -> None:
    secret = public_dir / "firmware.bin"
    secret.write_bytes(b"\x00" * 64)
    secret.chmod(0)
    assert_refused(run_cli("scan", str(secret), obey_modes=True), str(secret), "cannot be read")


def test_unknown_format(tmp_path: Path) -> None:
    noise = tmp_path / "noise.bin"
    noise.write_bytes(os.urandom(256 * 1024))
    assert_refused(run_cli("scan", str(noise)), str(noise), "unknown format", "entropy")


def test_sbom_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "absent.img"
    assert_refused(run_cli("sbom", str(missing), "--format", "spdx-json"), str(missing))


def test_bad_option_is_usage_error(tmp_path: Path) -> None:
    assert_refused(run_cli("scan", str(tmp_path), "--format", "pdfx"), "pdfx")


def test_malformed_declarations_stop_the_scan_before_it_starts(tmp_path: Path) -> None:
    declarations = tmp_path / "decl.yaml"
    declarations.write_text("schema: iotvet/declarations/1\nproduct:\n  modle: X\n")
    result = run_cli("scan", str(tmp_path), "--declarations", str(declarations))
    assert_refused(result, str(declarations), "product.modle")
