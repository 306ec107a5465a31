"""The inventory stage: what software is inside each root file system.

Identifiers are discovered, not listed: every module of this package (and of its sub-packages)
that defines ``IDENTIFIER`` takes part, so a new package-database format or detection method is
one new module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from functools import cache

from ..context import ScanContext
from ..model import Component
from ..unpack.kernels import KernelImage
from .interface import Identifier
from .merge import hash_files, merge_components


@cache
def identifiers() -> tuple[Identifier, ...]:
    found: list[Identifier] = []
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        module = importlib.import_module(info.name)
        identifier = getattr(module, "IDENTIFIER", None)
        if identifier is not None:
            found.append(identifier)
    return tuple(found)


def run_inventory(
    ctx: ScanContext, boot_images: Iterable[KernelImage] = ()
) -> tuple[list[Component], dict[str, str]]:
    """Components of every root (merged, with purls/CPEs) and the operating-system facts."""
    from .identity import enrich
    from .osrelease import boot_components, read_os_release

    candidates: list[Component] = []
    os_info: dict[str, str] = {}
    for root in ctx.roots:
        for identifier in identifiers():
            found: list[Component] = []
            with ctx.guarded("inventory", "identifier", identifier.name, root.label):
                found = identifier.identify(root, ctx)
            for component in found:
                component.layer = component.layer or root.label
            candidates.extend(found)
        os_info = os_info or read_os_release(root)
    candidates.extend(boot_components(boot_images, ctx))
    components = merge_components(candidates)
    for component in components:
        enrich(component)
    hash_files(components, {root.label: root for root in ctx.roots}, ctx)
    return components, os_info
