"""The label tests build their evidence with the standards tests' corpus helpers.

pytest puts each test directory on sys.path as it collects it (rootdir-relative imports, as in
tests/report); the label tests need ../standards there too, whichever directory is collected first.
"""

from __future__ import annotations

import sys
from pathlib import Path

STANDARDS_TESTS = str(Path(__file__).resolve().parents[1] / "standards")
if STANDARDS_TESTS not in sys.path:
    sys.path.insert(0, STANDARDS_TESTS)
