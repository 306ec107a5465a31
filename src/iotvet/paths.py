"""Where iotvet keeps what it stores (DESIGN.md, "Data the product keeps")."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def iotvet_home() -> Path:
    """``$IOTVET_HOME`` or the platform's user data directory for iotvet."""
    env = os.environ.get("IOTVET_HOME")
    return Path(env).expanduser() if env else Path(user_data_dir("iotvet"))
