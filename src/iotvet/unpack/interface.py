"""What the unpack stage hands to the rest of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..model import Layer, Skipped
from ..rootfs import RootFS
from .kernels import KernelImage


@dataclass
class UnpackResult:
    """Layers of the target, the root file systems and kernels inside them, what was skipped."""

    layers: list[Layer] = field(default_factory=list)
    roots: list[RootFS] = field(default_factory=list)
    kernels: list[Path] = field(default_factory=list)  # host paths of kernel images found
    skipped: list[Skipped] = field(default_factory=list)
    bytes_unpacked: int = 0
    extract_dir: Path | None = None
    # Added by the unpack stage (all optional for consumers):
    kernel_images: list[KernelImage] = field(default_factory=list)  # version + banner per kernel
    files_unpacked: int = 0
    notes: list[str] = field(default_factory=list)  # sandbox status, extractor fallbacks …
    sandboxed: bool = False
    duration_s: float = 0.0
