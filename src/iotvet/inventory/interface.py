"""The inventory stage: root file systems in, components out.

An identifier is one way of knowing what is installed (a package database, binary signatures, OS
release files). Each returns candidate components with evidence; ``inventory.merge`` folds the
candidates into one component per (name, version) so a component is reported once with every
file that proves it.
"""

from __future__ import annotations

from typing import Protocol

from ..context import ScanContext
from ..model import Component
from ..rootfs import RootFS


class Identifier(Protocol):
    name: str

    def identify(self, root: RootFS, ctx: ScanContext) -> list[Component]:
        """Components found in ``root``; limits and failures are reported via ``ctx.skip``."""
        ...
