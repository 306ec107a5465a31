"""The checks stage: root file systems in, findings out. One module per family under checks/.

A family module exposes ``FAMILY``, an object with a ``name`` and a ``run`` method. The registry
(``checks.registry``) discovers every such module, so adding a family means adding a module.
Finding ids are assigned by the pipeline after all families ran, so families leave ``id`` empty.
"""

from __future__ import annotations

from typing import Protocol

from ..context import ScanContext
from ..model import Finding
from ..rootfs import RootFS


class CheckFamily(Protocol):
    name: str

    def run(self, root: RootFS, ctx: ScanContext) -> list[Finding]:
        """Findings for ``root``; use ``ctx.skip`` for anything passed over."""
        ...
