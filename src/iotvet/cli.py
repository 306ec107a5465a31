"""The ``iotvet`` command line (Typer + Rich).

Exit codes (DESIGN.md): 0 done; 1 done and the ``--fail-on`` policy tripped; 2 usage or input error,
with a message that names the file and says why.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from . import __version__
from .console import console, fail, out
from .errors import InputError
from .limits import Limits
from .model import Report

app = typer.Typer(
    name="iotvet",
    help="Vet IoT firmware: components, SBOM, vulnerabilities, weaknesses, baselines, suppliers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

STAGE_LABELS = {
    "unpack": "Unpacking layers",
    "inventory": "Identifying components",
    "checks": "Running security checks",
    "vulns": "Matching vulnerabilities",
    "themes": "Deciding baseline themes",
}


TARGET_HELP = "Firmware image, extracted directory or binary."


class ScanFormat(StrEnum):
    json = "json"
    table = "table"
    html = "html"
    sarif = "sarif"


class SbomFormat(StrEnum):
    cyclonedx_json = "cyclonedx-json"
    cyclonedx_xml = "cyclonedx-xml"
    spdx_json = "spdx-json"


class FailOn(StrEnum):
    critical = "critical"
    high = "high"
    kev = "kev"


def run_scan(
    target: Path,
    workdir: Path | None,
    keep: bool,
    *,
    vulndb: Path | None = None,
    checks: bool = True,
    max_depth: int | None = None,
) -> Report:
    """Scan with a live stage display on stderr; input problems become exit code 2."""
    from .pipeline import ScanOptions, scan

    limits = Limits() if max_depth is None else Limits(max_depth=max_depth)
    options = ScanOptions(workdir=workdir, keep=keep, limits=limits, vulndb=vulndb, checks=checks)
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("Starting", total=None)

        def on_stage(name: str) -> None:
            progress.update(task, description=f"{STAGE_LABELS.get(name, name)} — {target.name}")

        try:
            return scan(target, options, progress=on_stage)
        except InputError as exc:
            raise fail(str(exc)) from None


def write_output(text: str | bytes, output: Path | None) -> None:
    if output is None:
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            output.write_bytes(text)
        else:
            output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"{output}: cannot write ({exc.strerror})") from None
    console.print(f"wrote {output}", highlight=False)


def exit_for_policy(report: Report, fail_on: FailOn | None) -> None:
    """Exit 1 when the CI gate trips: affected vulnerabilities of that class (KEV, or at or above
    the severity), and for severities also firmware findings at or above it."""
    if fail_on is None:
        return
    from .model import SEVERITY_ORDER
    from .vulns.policy import tripping

    tripped = bool(tripping(report.vulnerabilities, fail_on.value))
    if fail_on is not FailOn.kev:
        floor = SEVERITY_ORDER[fail_on.value]
        tripped |= any(SEVERITY_ORDER[f.severity] >= floor for f in report.findings)
    if tripped:
        console.print(f"[bold red]policy --fail-on {fail_on.value} tripped[/]")
        raise typer.Exit(code=1)


@app.command()
def scan(
    target: Annotated[Path, typer.Argument(help=TARGET_HELP, readable=False)],
    output: Annotated[
        list[Path] | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the report here; repeatable. The format follows the suffix "
            "(.json, .html, .cdx.json, .cdx.xml, .spdx.json) or --format.",
        ),
    ] = None,
    fmt: Annotated[ScanFormat | None, typer.Option("--format", "-f")] = None,
    workdir: Annotated[Path | None, typer.Option(help="Where to unpack (default: temp).")] = None,
    keep: Annotated[bool, typer.Option(help="Keep the unpacked tree after the scan.")] = False,
    vulndb: Annotated[Path | None, typer.Option(help="Vulnerability DB file.")] = None,
    fail_on: Annotated[FailOn | None, typer.Option(help="Exit 1 when this tripped.")] = None,
    max_depth: Annotated[int | None, typer.Option(help="Max nesting depth of layers.")] = None,
    declarations: Annotated[
        Path | None,
        typer.Option(
            "--declarations", "-d", help="Declaration file: also fill `conformity` (all regimes)."
        ),
    ] = None,
) -> None:
    """Unpack TARGET, list its components, findings and vulnerabilities."""
    from .report.registry import format_for_path, print_table, render
    from .standards.cli import read_declarations

    declared = read_declarations(declarations)
    report = run_scan(target, workdir, keep, vulndb=vulndb, max_depth=max_depth)
    if declarations:
        from .standards.engine import assess

        report.conformity = assess(report, declared, ["all"])
    for path in output or []:
        chosen = format_for_path(path) or (fmt.value if fmt else "json")
        write_output(render(report, chosen), path)
    if fmt is None or fmt is ScanFormat.table:
        if fmt is ScanFormat.table or not output:
            print_table(report, out)
    elif not output:
        write_output(render(report, fmt.value), None)
    exit_for_policy(report, fail_on)


@app.command()
def sbom(
    target: Annotated[Path, typer.Argument(help=TARGET_HELP, readable=False)],
    fmt: Annotated[SbomFormat, typer.Option("--format", "-f")] = SbomFormat.cyclonedx_json,
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
    workdir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Write a CycloneDX 1.6 or SPDX 2.3 SBOM of TARGET."""
    from .report.registry import render

    report = run_scan(target, workdir, keep=False, checks=False)
    write_output(render(report, fmt.value), output)


@app.command()
def version() -> None:
    """Print the iotvet version."""
    out.print(__version__)


def _mount_subcommands() -> None:
    """Subsystems bring their own commands; mounting them here keeps this module small."""
    from .standards.cli import register as register_standards
    from .suppliers.cli import register as register_suppliers
    from .vulns.cli import app as vulndb_app
    from .vulns.cli import vulns_command

    app.add_typer(vulndb_app, name="vulndb")
    app.command("vulns")(vulns_command)
    register_standards(app)
    register_suppliers(app)


_mount_subcommands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
