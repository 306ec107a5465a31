"""The handler set iotvet gives unblob: its built-ins, adapted, plus the ones it lacks."""

from __future__ import annotations

from pathlib import Path

from unblob.handlers import BUILTIN_HANDLERS
from unblob.models import Handler, Handlers

from ...limits import Limits
from .modes import restore_modes, with_mode_journal
from .permissions import with_mode_fidelity
from .reports import FallbackFailedReport, LayerInfoReport
from .squashfs import is_squashfs_handler, with_fallback_extractor
from .uimage import UImageHandler

__all__ = [
    "FallbackFailedReport",
    "LayerInfoReport",
    "UImageHandler",
    "build_handlers",
    "restore_modes",
]


def build_handlers(limits: Limits, mode_journal: Path) -> Handlers:
    """unblob's built-in handlers with the SquashFS fallback and mode-keeping extractors, plus
    uImage.

    Built per scan (the extractors carry the scan's limits and journal directory) and passed in
    ``ExtractionConfig.handlers``: nothing in unblob is modified globally.
    """
    handlers: list[type[Handler]] = []
    builtin: tuple[type[Handler], ...] = (*BUILTIN_HANDLERS, UImageHandler)
    for handler in builtin:
        if is_squashfs_handler(handler):
            handler = with_fallback_extractor(handler, limits.max_unpacked_bytes, limits.max_files)
        handler = with_mode_fidelity(handler)
        handlers.append(with_mode_journal(handler, mode_journal))
    return tuple(handlers)
