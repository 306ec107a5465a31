"""Safety limits every scan enforces (DESIGN.md, "Limits every scan enforces").

Firmware is hostile input: bombs, absurd sizes, deep nesting. Each stage reads its bound from one
``Limits`` object and reports what it passed over in ``skipped`` instead of failing silently.
"""

from __future__ import annotations

from dataclasses import dataclass

GiB = 1024**3
MiB = 1024**2


@dataclass(frozen=True)
class Limits:
    max_unpacked_bytes: int = 4 * GiB
    max_files: int = 500_000
    max_depth: int = 8
    max_file_read: int = 64 * MiB
    stage_timeout_s: float = 1800.0
    password_budget_s: float = 10.0
