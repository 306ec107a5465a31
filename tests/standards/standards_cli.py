"""``iotvet declare|assess|label`` as the standards tests run them: mounted on a Typer app the way
``iotvet.cli`` mounts them, invoked in-process."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner, Result

from iotvet.standards.cli import register

_APP = typer.Typer()
register(_APP)


def invoke(*args: str | Path) -> Result:
    """Run one command line; paths may be given as ``Path``."""
    return CliRunner().invoke(_APP, [str(a) for a in args])
