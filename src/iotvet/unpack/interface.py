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
    skipped: list[Skipped] = field(default_factory=list)
    bytes_unpacked: int = 0
    extract_dir: Path | None = None
    # Added by the unpack stage (all optional for consumers):
    kernel_images: list[KernelImage] = field(default_factory=list)  # version + banner per kernel
    files_unpacked: int = 0
    notes: list[str] = field(default_factory=list)  # sandbox status, extractor fallbacks …
    sandboxed: bool = False
    duration_s: float = 0.0

    @property
    def kernels(self) -> list[Path]:
        """Host paths of the kernel images found (boot loaders left out)."""
        return [image.path for image in self.kernel_images if image.kind == "kernel"]

    @property
    def recognised(self) -> bool:
        """Whether anything but unknown data was found: a known layer format, or a tree that is
        more than the target file itself."""
        return any(layer.format not in ("unknown", "padding") for layer in self.layers) or any(
            root.kind != "binary" for root in self.roots
        )
