"""``iotvet declare init``, ``iotvet assess`` and ``iotvet label`` (mounted by ``iotvet.cli``).

TARGET is a firmware image / directory / binary (scanned first) or an iotvet JSON report of an
earlier scan (``iotvet scan IMAGE -o report.json``), so one scan can be assessed many times while
the declaration file is being filled in. Exit codes follow DESIGN.md: 0 done, 1 done but the product
is not label-eligible (``label`` only), 2 input error with a message naming the file, field and fix.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from ..console import console, fail, out
from ..model import REPORT_SCHEMA, Report, Verdict
from .catalog import REGIMES
from .declarations import DeclarationError, Declarations, load_declarations, write_template

declare_app = typer.Typer(
    help="Write or check the manufacturer's declaration file.", no_args_is_help=True
)

# Built from the catalog list so a new regime needs no CLI change (mypy cannot see the members).
Regime = StrEnum("Regime", {name: name for name in ("all", *REGIMES)})  # type: ignore[misc]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "product"


@declare_app.command("init")
def declare_init(
    product: Annotated[str, typer.Argument(help="Product name, as sold.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: NAME.yaml).")
    ] = None,
) -> None:
    """Write a commented declaration template for PRODUCT."""
    path = output or Path(f"{_slug(product)}.declarations.yaml")
    try:
        write_template(product, path)
    except (FileExistsError, OSError) as exc:
        raise fail(str(exc)) from None
    console.print(f"wrote {path} — fill it in, then run: iotvet assess IMAGE --declarations {path}")


@declare_app.command("check")
def declare_check(file: Annotated[Path, typer.Argument(help="Declaration file.")]) -> None:
    """Validate a declaration file and report every problem with its fix."""
    read_declarations(file)
    console.print(f"{file}: valid")


def read_declarations(path: Path | None) -> Declarations | None:
    """The declaration file (None when not given), or exit 2 listing every problem with its fix."""
    if path is None:
        return None
    try:
        return load_declarations(path)
    except DeclarationError as exc:
        raise fail(str(exc)) from None


def _report(target: Path, workdir: Path | None, vulndb: Path | None) -> Report:
    """The report of an earlier scan (JSON) or a fresh scan of TARGET."""
    if target.is_file() and target.suffix == ".json":
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise fail(f"{target}: not a readable JSON report ({exc})") from None
        if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
            raise fail(f"{target}: not an iotvet report (schema must be {REPORT_SCHEMA})")
        try:
            return Report.model_validate(data)
        except ValidationError as exc:
            raise fail(f"{target}: invalid iotvet report: {exc.errors()[0]['msg']}") from None
    from ..cli import run_scan

    return run_scan(target, workdir, keep=False, vulndb=vulndb)


def _print_summary(verdicts: list[Verdict]) -> None:
    from .summary import RESULTS, summarize

    table = Table(title="Conformity", show_lines=False)
    table.add_column("Regime")
    for result in RESULTS:
        table.add_column(result, justify="right")
    for s in summarize(verdicts):
        table.add_row(s.regime, *(str(s.counts[r]) for r in RESULTS))
    out.print(table)


def _prepare(directory: Path) -> Path:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise fail(f"{directory}: cannot create ({exc.strerror})") from None
    return directory


def assess(
    target: Annotated[
        Path, typer.Argument(help="Firmware image, directory, binary, or an iotvet JSON report.")
    ],
    declarations: Annotated[
        Path | None,
        typer.Option("--declarations", "-d", help="Declaration file (iotvet declare init)."),
    ] = None,
    regime: Annotated[
        list[Regime] | None,
        typer.Option("--regime", "-r", help="Regime to assess; repeatable (default: all)."),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory for the outputs.")
    ] = Path("iotvet-assessment"),
    pdf: Annotated[bool, typer.Option(help="Also write the matrix as PDF.")] = True,
    workdir: Annotated[Path | None, typer.Option(help="Where to unpack (default: temp).")] = None,
    vulndb: Annotated[Path | None, typer.Option(help="Vulnerability DB file.")] = None,
) -> None:
    """Verdicts for every requirement: matrix (HTML/PDF), ICS, CycloneDX attestation, OSCAL."""
    from .attestation import AttestationError, render_attestation
    from .engine import assess as run_assess
    from .ics import write_ics
    from .matrix import product_facts, write_matrix
    from .oscal import render_oscal

    decl = read_declarations(declarations)
    report = _report(target, workdir, vulndb)
    regimes = [r.value for r in regime] if regime else ["all"]
    verdicts = run_assess(report, decl, regimes)
    report.conformity = verdicts
    directory = _prepare(output)
    written: list[Path] = []
    report_path = directory / "report.json"
    report_path.write_text(report.to_json(), encoding="utf-8")
    written.append(report_path)
    written += write_matrix(
        report, verdicts, decl, directory / "matrix.html", directory / "matrix.pdf" if pdf else None
    )
    if any(v.regime == "etsi-en-303-645" for v in verdicts):
        written += write_ics(verdicts, decl, product_facts(report, decl)["name"], directory)
    try:
        attestation = render_attestation(report, verdicts)
    except AttestationError as exc:  # a defect in iotvet, not in the input: say so plainly
        raise fail(f"internal error, the attestation is invalid: {exc}") from None
    (directory / "attestation.cdx.json").write_text(attestation, encoding="utf-8")
    (directory / "assessment-results.oscal.json").write_text(
        render_oscal(report, verdicts), encoding="utf-8"
    )
    written += [directory / "attestation.cdx.json", directory / "assessment-results.oscal.json"]
    _print_summary(verdicts)
    for path in written:
        console.print(f"wrote {path}", highlight=False)


def label(
    target: Annotated[
        Path, typer.Argument(help="Firmware image, directory, binary, or an iotvet JSON report.")
    ],
    declarations: Annotated[
        Path, typer.Option("--declarations", "-d", help="Declaration file (iotvet declare init).")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory for the label files.")
    ] = Path("iotvet-label"),
    url: Annotated[
        str | None, typer.Option(help="Registry record URL (default: fcc.registry_url).")
    ] = None,
    workdir: Annotated[Path | None, typer.Option(help="Where to unpack (default: temp).")] = None,
    vulndb: Annotated[Path | None, typer.Option(help="Vulnerability DB file.")] = None,
) -> None:
    """Decide label eligibility; write the registry record, QR code, label and PSTI statement."""
    from ..label.eligibility import eligibility
    from ..label.printable import write_label
    from ..label.psti import psti_statement, write_psti
    from ..label.qr import write_qr
    from ..label.record import registry_record
    from .engine import assess as run_assess

    decl = read_declarations(declarations)
    assert decl is not None  # the option is required
    record_url = url or decl.fcc.registry_url
    if not record_url:
        raise fail(
            f"{declarations}: fcc.registry_url is empty; fix: declare the URL where the registry "
            "record will be published, or pass --url"
        )
    report = _report(target, workdir, vulndb)
    verdicts = run_assess(
        report, decl, ["nist-ir-8425", "fcc-registry", "etsi-en-303-645", "uk-psti"]
    )
    directory = _prepare(output)
    result = eligibility(verdicts)
    psti = psti_statement(verdicts, decl)
    written: list[Path] = []
    if psti.ready:
        written += write_psti(psti, directory)
    else:
        console.print("[yellow]UK PSTI statement of compliance not written; blocked by:[/]")
        for b in psti.blockers:
            console.print(f"  {b.requirement} ({b.result}): {b.reason}\n    fix: {b.fix}")
    if result.eligible:
        record = registry_record(report, verdicts, decl, result, record_url)
        record_path = directory / "registry-record.json"
        record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        written += [record_path, *write_qr(record_url, directory)]
        written += write_label(decl, result, record_url, directory)
        out.print(
            f"[bold green]label-eligible:[/] all {result.criteria} NIST IR 8425 criteria pass "
            f"({result.by_evidence} by firmware evidence, {result.by_declaration} by declaration)"
        )
        if not record["complete"]:
            missing = [f["id"] for f in record["fields"] if f["status"] != "pass"]
            console.print(f"[yellow]registry record incomplete:[/] {', '.join(missing)}")
    else:
        out.print(f"[bold red]not label-eligible:[/] {len(result.blockers)} criteria block it")
        for b in result.blockers:
            out.print(f"  {b.requirement} {b.title} ({b.result}): {b.reason}\n    fix: {b.fix}")
    for path in written:
        console.print(f"wrote {path}", highlight=False)
    if not result.eligible:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Mount ``declare``, ``assess`` and ``label`` on the main ``iotvet`` app."""
    app.add_typer(declare_app, name="declare")
    app.command("assess")(assess)
    app.command("label")(label)
