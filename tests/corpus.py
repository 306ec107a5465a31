"""Where the shared test data lives (../shared beside the project root), for every test module."""

from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus" / "images"
REAL = SHARED / "real"
VULNDATA = SHARED / "vulndata"


def corpus_images() -> list[Path]:
    """Every corpus image that has a truth file (fails loudly when the corpus is missing)."""
    images = sorted(
        p.with_name(p.name.removesuffix(".truth.json")) for p in CORPUS.glob("*.truth.json")
    )
    assert images, f"no corpus images under {CORPUS}: the tests need ../shared beside the project"
    return images
