"""Hand-written root file systems on disk, for tests that need a small tree of their own."""

from __future__ import annotations

import os
from pathlib import Path

from iotvet.limits import Limits
from iotvet.rootfs import RootFS


def make_root(
    base: Path,
    files: dict[str, str | bytes],
    links: dict[str, str] | None = None,
    limits: Limits | None = None,
) -> RootFS:
    """A root file system on disk: inner path -> content; directories end with "/"."""
    for inner, content in files.items():
        host = base / inner.lstrip("/")
        if inner.endswith("/"):
            host.mkdir(parents=True, exist_ok=True)
            continue
        host.parent.mkdir(parents=True, exist_ok=True)
        host.write_bytes(content.encode() if isinstance(content, str) else content)
    for inner, target in (links or {}).items():
        host = base / inner.lstrip("/")
        host.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, host)
    return RootFS(base, limits=limits or Limits())
