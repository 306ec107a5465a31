"""Vulnerability intelligence: feeds → a local SQLite DB → matched, enriched, VEX-aware results.

Entry point for the pipeline: :func:`match_components`. Database building: :mod:`.db` and
:mod:`.sources`; live updates: :mod:`.fetch`; command line: :mod:`.cli`.
"""

from __future__ import annotations

from .match import match_components

__all__ = ["match_components"]
