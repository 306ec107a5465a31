"""Helpers shared by the crypto, secrets, hardening and permissions tests.

Unit tests build small trees with ``make_root``; corpus tests run a family on the root file
systems that ``iotvet.unpack`` extracts from each corpus image (via the session fixture
``unpacked`` of tests/conftest.py) and compare with the image's ``*.truth.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iotvet.checks.interface import CheckFamily
from iotvet.context import ScanContext
from iotvet.model import Finding
from iotvet.rootfs import RootFS
from iotvet.unpack.interface import UnpackResult

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "images"
DATA = Path(__file__).resolve().parent / "partb_data"
#: A fixed scan date for unit tests that judge expiry.
SCAN_DATE = datetime(2025, 6, 1, tzinfo=UTC)

Spec = bytes | str | tuple[bytes | str, int]


def make_root(base: Path, files: Mapping[str, Spec]) -> RootFS:
    """A tree under ``base``: inner path -> content, or (content, mode) to chmod it."""
    for inner, spec in files.items():
        content, mode = spec if isinstance(spec, tuple) else (spec, None)
        target = base / inner.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        if mode is not None:
            os.chmod(target, mode)
    return RootFS(base)


def run(family: CheckFamily, root: RootFS) -> tuple[list[Finding], ScanContext]:
    ctx = ScanContext(roots=[root])
    return family.run(root, ctx), ctx


def truth(image: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(image.with_name(image.name + ".truth.json").read_text())
    return loaded


def corpus_images() -> list[Path]:
    images = sorted(
        p.with_name(p.name.removesuffix(".truth.json")) for p in CORPUS.glob("*.truth.json")
    )
    assert len(images) >= 4, f"corpus images missing under {CORPUS}"
    return images


def image_named(prefix: str) -> Path:
    matches = [p for p in corpus_images() if p.name.startswith(prefix)]
    assert len(matches) == 1, f"no single corpus image starting with {prefix}"
    return matches[0]


def main_root(result: UnpackResult) -> RootFS:
    """The root file system of an unpacked corpus image (each image has exactly one)."""
    roots = [r for r in result.roots if r.exists("/etc/passwd")]
    assert len(roots) == 1, f"expected one root file system, got {[r.root for r in result.roots]}"
    return roots[0]


_RESULTS: dict[tuple[str, str], list[Finding]] = {}


def corpus_findings(
    family: CheckFamily, image: Path, unpacked: Callable[[Path], UnpackResult]
) -> list[Finding]:
    """Findings of ``family`` on the root of ``image`` (cached per family and image)."""
    key = (family.name, image.name)
    if key not in _RESULTS:
        root = main_root(unpacked(image))
        _RESULTS[key] = family.run(root, ScanContext(roots=[root]))
    return _RESULTS[key]
