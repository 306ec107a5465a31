"""Command line of supplier assurance (mounted by ``iotvet.cli``).

* ``iotvet suppliers import FILE`` · ``list`` · ``report`` · ``questionnaire init|validate|score``
* ``iotvet product add NAME --supplier [ROLE=]NAME`` · ``iotvet product list``
* ``iotvet firmware add PRODUCT VERSION [IMAGE] --released DATE [--report report.json]``
* ``iotvet impact COMPONENT --max-version V``

Everything is kept in the project store (``IOTVET_DATABASE_URL`` or ``IOTVET_HOME``; ``--store``
overrides both). Exit codes follow DESIGN.md: 0 done, 2 usage or input error with a message that
names the file and the fix.
"""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..console import console, fail, out

if TYPE_CHECKING:
    from ..model import Report
    from ..store import Store

# Heavy modules (SQLAlchemy, Alembic, matplotlib, the scanner) are imported inside the commands
# that need them, so `iotvet --help` and unrelated commands stay fast.


suppliers_app = typer.Typer(
    help="Supplier registry, questionnaires and scorecards (SCS 9001 view).", no_args_is_help=True
)
questionnaire_app = typer.Typer(
    help="Write, check and score the supplier questionnaire.", no_args_is_help=True
)
suppliers_app.add_typer(questionnaire_app, name="questionnaire")
product_app = typer.Typer(help="Products of the supplier registry.", no_args_is_help=True)
firmware_app = typer.Typer(help="Firmware versions (releases) of products.", no_args_is_help=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Project store URL (default: $IOTVET_DATABASE_URL or $IOTVET_HOME/iotvet.sqlite).",
    ),
]


class ReportFormat(StrEnum):
    json = "json"
    html = "html"
    pdf = "pdf"


class ImpactFormat(StrEnum):
    table = "table"
    json = "json"


def _store(url: str | None) -> Store:
    from ..store import open_store

    try:
        return open_store(url)
    except Exception as exc:  # any driver or migration error: say which store
        raise fail(f"cannot open the project store {url or '(default)'}: {exc}") from None


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} {text!r}: not a date — write it as YYYY-MM-DD") from None


# -- suppliers -----------------------------------------------------------------------------------


@suppliers_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="Sourcing file (.yaml/.yml or .csv).")],
    store: StoreOption = None,
) -> None:
    """Import a declared sourcing file: suppliers, products, component links."""
    from .problems import FileProblems
    from .registry import RegistryError, apply_sourcing
    from .sourcing import load_sourcing

    try:
        sourcing = load_sourcing(file)
    except FileProblems as exc:
        raise fail(str(exc)) from None
    with _store(store) as db, db.session() as session:
        try:
            counts = apply_sourcing(session, sourcing)
        except RegistryError as exc:
            raise fail(f"{file}: {exc}") from None
    console.print(f"imported {file}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@suppliers_app.command("list")
def list_command(store: StoreOption = None) -> None:
    """List the suppliers in the store with their roles and links."""
    from sqlalchemy import select

    from ..store.models import Supplier

    table = Table("supplier", "roles", "origin", "products", "components")
    with _store(store) as db, db.session() as session:
        for s in session.scalars(select(Supplier).order_by(Supplier.origin, Supplier.name)):
            table.add_row(
                s.name,
                ", ".join(s.roles),
                s.origin,
                ", ".join(f"{link.product.name} ({link.role})" for link in s.products),
                str(len(s.component_links)),
            )
    out.print(table)


def _windows(values: list[str]) -> dict[str, int]:
    from .config import scoring

    windows = dict(scoring().policy.windows_days)
    for item in values:
        name, sep, days = item.partition("=")
        if not sep or name not in windows or not days.isdigit():
            raise fail(
                f"--window {item!r}: write CLASS=DAYS with CLASS one of {', '.join(windows)}"
            )
        windows[name] = int(days)
    return windows


@suppliers_app.command("report")
def report_command(
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.json,
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date the open ages run to (default today).")
    ] = None,
    supplier: Annotated[
        list[str] | None, typer.Option("--supplier", help="Only this supplier; repeatable.")
    ] = None,
    window: Annotated[
        list[str] | None,
        typer.Option("--window", help="Policy window, e.g. critical=30, high=90, kev=30."),
    ] = None,
    vulndb: Annotated[
        Path | None,
        typer.Option(help="Re-match stored firmware against this vulnerability DB first."),
    ] = None,
    rematch_: Annotated[
        bool,
        typer.Option(
            "--rematch/--no-rematch",
            help="Re-match stored firmware against the vulnerability DB (when one exists).",
        ),
    ] = True,
    store: StoreOption = None,
) -> None:
    """Supplier scorecards and product risk as JSON, HTML (with plots) or PDF."""
    from ..vulns.db import default_db_path
    from .config import scoring
    from .registry import RegistryError, rematch
    from .render import render
    from .scorecard import build_report

    day = _day(as_of, "--as-of") or date.today()
    policy = scoring().policy.model_copy(update={"windows_days": _windows(window or [])})
    with _store(store) as db, db.session() as session:
        db_path = vulndb or default_db_path()
        if rematch_ and (vulndb is not None or db_path.exists()):
            try:
                count = rematch(session, db_path)
            except RegistryError as exc:
                raise fail(str(exc)) from None
            console.print(f"re-matched {count} firmware scan(s) against {db_path}")
        report = build_report(session, day, policy, supplier)
    data = render(report, fmt.value)
    if output is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data if data.endswith("\n") else data + "\n")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        output.write_bytes(data)
    else:
        output.write_text(data, encoding="utf-8")
    console.print(f"wrote {output}")


# -- questionnaire -------------------------------------------------------------------------------


@questionnaire_app.command("init")
def questionnaire_init(
    supplier: Annotated[str, typer.Option("--supplier", help="Supplier the answers are for.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Answer file to write (default stdout).")
    ] = None,
) -> None:
    """Write an answer file to fill in: every question with its weight and expected evidence."""
    from .questionnaire import answer_skeleton

    text = answer_skeleton(supplier)
    if output is None:
        sys.stdout.write(text)
        return
    if output.exists():
        raise fail(f"{output}: already exists — choose another name or delete it first")
    output.write_text(text, encoding="utf-8")
    console.print(f"wrote {output} — fill it in, then: iotvet suppliers questionnaire validate")


@questionnaire_app.command("validate")
def questionnaire_validate(
    file: Annotated[Path, typer.Argument(help="Answer file.")],
) -> None:
    """Check an answer file; every problem is listed with line, question id and fix."""
    from .problems import FileProblems
    from .questionnaire import load_answers

    try:
        answers = load_answers(file)
    except FileProblems as exc:
        raise fail(str(exc)) from None
    console.print(f"{file}: {len(answers.answers)} answers for {answers.supplier}, all valid")


@questionnaire_app.command("score")
def questionnaire_score(
    file: Annotated[Path, typer.Argument(help="Answer file.")],
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Store the answers for the scorecard.")
    ] = True,
    store: StoreOption = None,
) -> None:
    """Score an answer file by topic (and store it for `iotvet suppliers report`)."""
    from .problems import FileProblems
    from .questionnaire import load_answers, score_answers
    from .registry import record_questionnaire

    try:
        answers = load_answers(file)
    except FileProblems as exc:
        raise fail(str(exc)) from None
    result = score_answers(answers)
    table = Table("topic", "score", "points")
    for topic in result.topics:
        table.add_row(topic.title, f"{topic.score}", f"{topic.points:.2f} / {topic.max_points:g}")
    out.print(table)
    out.print(f"questionnaire score of {answers.supplier}: [bold]{result.score}[/] / 100")
    if save:
        with _store(store) as db, db.session() as session:
            _, created = record_questionnaire(session, answers)
        note = " (new supplier: add its roles with `iotvet suppliers import`)" if created else ""
        console.print(f"stored the answers of {answers.supplier}{note}")


# -- products and firmware -----------------------------------------------------------------------


def _role_and_name(text: str) -> tuple[str, str]:
    from .config import roles

    role, sep, name = text.partition("=")
    if sep and role.strip() in roles():
        return role.strip(), name.strip()
    if sep and role.strip() and " " not in role.strip():
        raise fail(f"--supplier {text!r}: unknown role {role!r}; roles: {', '.join(roles())}")
    return "device-maker", text.strip()


@product_app.command("add")
def product_add(
    name: Annotated[str, typer.Argument(help="Product name.")],
    supplier: Annotated[
        list[str] | None,
        typer.Option(
            "--supplier",
            help='Supplier NAME (device maker) or ROLE=NAME, e.g. odm="Borealis"; repeatable.',
        ),
    ] = None,
    line: Annotated[str | None, typer.Option(help="Product line.")] = None,
    support_end: Annotated[
        str | None, typer.Option("--support-end", help="End of security support, YYYY-MM-DD.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Add a product (or update it) and link its suppliers."""
    from .registry import ensure_product, ensure_supplier, link_product

    end = _day(support_end, "--support-end")
    links = [_role_and_name(s) for s in supplier or []]
    with _store(store) as db, db.session() as session:
        product = ensure_product(session, name)
        product.line = line or product.line
        product.support_end = end or product.support_end
        for role, supplier_name in links:
            link_product(session, product, ensure_supplier(session, supplier_name), role)
    console.print(f"product {name}: " + (", ".join(f"{n} ({r})" for r, n in links) or "saved"))


@product_app.command("list")
def product_list(store: StoreOption = None) -> None:
    """List products with their suppliers and firmware versions."""
    from sqlalchemy import select

    from ..store.models import Product

    table = Table("product", "line", "suppliers", "firmware (released)", "support end")
    with _store(store) as db, db.session() as session:
        for p in session.scalars(select(Product).order_by(Product.name)):
            table.add_row(
                p.name,
                p.line or "",
                ", ".join(f"{link.supplier.name} ({link.role})" for link in p.suppliers),
                ", ".join(f"{f.version} ({f.released or '?'})" for f in p.firmware),
                str(p.support_end or ""),
            )
    out.print(table)


def _load_report(path: Path) -> Report:
    from pydantic import ValidationError

    from ..model import Report

    try:
        return Report.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise fail(f"{path}: no such file") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise fail(
            f"{path}: not an iotvet JSON report ({where}: {first['msg']}) — "
            "write one with `iotvet scan IMAGE -o report.json`"
        ) from None


def _scan(image: Path, vulndb: Path | None) -> Report:
    from ..errors import InputError
    from ..pipeline import ScanOptions, scan

    with console.status(f"scanning {image.name}"):
        try:
            return scan(image, ScanOptions(vulndb=vulndb))
        except InputError as exc:
            raise fail(str(exc)) from None


@firmware_app.command("add")
def firmware_add(
    product: Annotated[str, typer.Argument(help="Product the firmware belongs to.")],
    version: Annotated[str, typer.Argument(help="Firmware version.")],
    image: Annotated[Path | None, typer.Argument(help="Firmware image to scan.")] = None,
    released: Annotated[
        str | None, typer.Option("--released", help="Release date, YYYY-MM-DD.")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Record this iotvet JSON report instead of scanning."),
    ] = None,
    vulndb: Annotated[Path | None, typer.Option(help="Vulnerability DB for the scan.")] = None,
    store: StoreOption = None,
) -> None:
    """Scan IMAGE (or take --report) and record it as VERSION of PRODUCT."""
    from .registry import add_firmware, find_product

    day = _day(released, "--released")
    if report is not None and image is None:
        scanned = _load_report(report)
    elif image is not None and report is None:
        scanned = _scan(image, vulndb)
    else:
        raise fail("give either IMAGE (to scan) or --report report.json (an earlier scan)")
    with _store(store) as db, db.session() as session:
        found = find_product(session, product)
        if found is None:
            raise fail(f"no product '{product}' — add it with `iotvet product add {product}`")
        firmware = add_firmware(session, found, version, day, scanned)
        scans = len(firmware.scans)
    note = "" if day else " — no release date: it is left out of history metrics until given"
    console.print(
        f"recorded {product} {version}: {len(scanned.components)} components, "
        f"{len(scanned.vulnerabilities)} vulnerabilities (scan {scans}){note}"
    )


# -- impact --------------------------------------------------------------------------------------


def impact_command(
    component: Annotated[str, typer.Argument(help="Component name (upstream or package name).")],
    max_version: Annotated[
        str, typer.Option("--max-version", help="Highest vulnerable version (inclusive).")
    ],
    min_version: Annotated[
        str | None, typer.Option("--min-version", help="Lowest vulnerable version (inclusive).")
    ] = None,
    fmt: Annotated[ImpactFormat, typer.Option("--format", "-f")] = ImpactFormat.table,
    store: StoreOption = None,
) -> None:
    """Which products, firmware versions and suppliers are hit if COMPONENT ≤ VERSION is
    vulnerable."""
    from .impact import impact

    with _store(store) as db, db.session() as session:
        result = impact(session, component, max_version, min_version)
    if fmt is ImpactFormat.json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    table = Table("product", "firmware", "released", "component", "newest", "suppliers")
    for hit in result.hits:
        table.add_row(
            hit.product,
            hit.firmware,
            str(hit.released or ""),
            f"{hit.component} {hit.version}",
            "yes" if hit.newest_firmware else "",
            "; ".join(hit.suppliers),
        )
    out.print(table)
    bound = f"{min_version} ≤ " if min_version else ""
    shipping = ", ".join(result.shipping) or "none"
    out.print(
        f"{component} {bound}version ≤ {max_version}: {len(result.hits)} firmware version(s) in "
        f"{len(result.products)} product(s); still shipping: {shipping}",
        soft_wrap=True,
    )
    if result.unknown_version:
        out.print(
            f"[yellow]{len(result.unknown_version)} firmware version(s) contain {component} "
            "with an unknown version (cannot be ruled out):[/] "
            + ", ".join(f"{h.product} {h.firmware}" for h in result.unknown_version),
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    """Mount ``suppliers``, ``product``, ``firmware`` and ``impact`` on the main command line."""
    app.add_typer(suppliers_app, name="suppliers")
    app.add_typer(product_app, name="product")
    app.add_typer(firmware_app, name="firmware")
    app.command("impact")(impact_command)
