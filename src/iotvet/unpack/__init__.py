"""Unpack stage: firmware image → layer tree, root file systems and kernels (unblob inside)."""

from .interface import UnpackResult
from .kernels import KernelImage
from .stage import unblob_only, unpack

__all__ = ["KernelImage", "UnpackResult", "unblob_only", "unpack"]
