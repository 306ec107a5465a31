"""The declared sourcing file: who supplies which product and which component (YAML or CSV).

The user keeps this file (see ``examples/suppliers/``); ``iotvet suppliers import FILE`` loads it
into the store. Declared links override what iotvet derives from scans. Both formats become the
same :class:`Sourcing` object; every problem is reported with file, line, field and fix.

YAML: ``schema: iotvet/sourcing/1`` with ``suppliers``, ``products``, ``components`` and
optionally ``upstream_releases`` (release dates of upstream versions, which start the
"from the upstream fix" clock of Update Timeliness).

CSV: one link per row, columns ``supplier, role, product, component, country, website, contact,
owner, aliases, product_line, support_end, note`` (only ``supplier`` is required). A row
without product and component declares the supplier; with a product it links the supplier to
the product in ``role``; with a component it says the supplier delivers that component (to the
product given, or to every product). ``aliases`` are separated by ``;``.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from .config import roles
from .problems import FileProblems, Problem, from_validation, line_of, load_yaml

SCHEMA = "iotvet/sourcing/1"
CSV_COLUMNS = (
    "supplier",
    "role",
    "product",
    "component",
    "country",
    "website",
    "contact",
    "owner",
    "aliases",
    "product_line",
    "support_end",
    "note",
)


def _known_role(value: str) -> str:
    if value not in roles():
        raise ValueError(f"unknown role {value!r}; roles are: {', '.join(roles())}")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Role = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_known_role)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SupplierDecl(_Strict):
    name: Name
    roles: list[Role] = Field(default_factory=list)
    country: str | None = None
    website: str | None = None
    contact: str | None = None
    owner: str | None = None
    aliases: list[str] = Field(default_factory=list)
    notes: str | None = None


class ProductDecl(_Strict):
    name: Name
    line: str | None = None
    description: str | None = None
    support_end: date | None = None
    suppliers: dict[Role, Name | list[Name]] = Field(default_factory=dict)

    def links(self) -> list[tuple[str, str]]:
        """(role, supplier name) pairs."""
        out = []
        for role, names in self.suppliers.items():
            for name in [names] if isinstance(names, str) else names:
                out.append((role, name))
        return out


class ComponentDecl(_Strict):
    component: Name
    supplier: Name
    role: Role
    products: list[Name] = Field(default_factory=list)
    note: str | None = None


class Sourcing(_Strict):
    schema_: Literal["iotvet/sourcing/1"] = Field(alias="schema")
    suppliers: list[SupplierDecl] = Field(default_factory=list)
    products: list[ProductDecl] = Field(default_factory=list)
    components: list[ComponentDecl] = Field(default_factory=list)
    upstream_releases: dict[Name, dict[str, date]] = Field(default_factory=dict)


def _reference_problems(sourcing: Sourcing, root: Any) -> list[Problem]:
    """Suppliers used by products/components must be declared in the same file."""
    declared = {s.name.lower() for s in sourcing.suppliers}
    problems = []
    for index, product in enumerate(sourcing.products):
        for role, name in product.links():
            if name.lower() not in declared:
                loc: tuple[str | int, ...] = ("products", index, "suppliers", role)
                problems.append(_undeclared(name, f"products[{index}].suppliers.{role}", root, loc))
    for index, comp in enumerate(sourcing.components):
        if comp.supplier.lower() not in declared:
            loc = ("components", index, "supplier")
            problems.append(_undeclared(comp.supplier, f"components[{index}].supplier", root, loc))
    return problems


def _undeclared(name: str, field: str, root: Any, loc: tuple[str | int, ...]) -> Problem:
    return Problem(
        field=field,
        message=f"supplier '{name}' is not declared in this file",
        fix=f"add '- name: {name}' under 'suppliers:' or correct the spelling",
        line=line_of(root, loc),
    )


def load_yaml_sourcing(path: Path) -> Sourcing:
    data, root = load_yaml(path, "sourcing file")
    if not isinstance(data, dict):
        problem = Problem(
            field="(document)",
            message="the file is not a block of 'key: value' lines",
            fix=f"start with 'schema: {SCHEMA}' (see examples/suppliers/sourcing.yaml)",
            line=1,
        )
        raise FileProblems(path, [problem], "sourcing file")
    try:
        sourcing = Sourcing.model_validate(data)
    except ValidationError as exc:
        raise FileProblems(path, from_validation(exc, root), "sourcing file") from None
    problems = _reference_problems(sourcing, root)
    if problems:
        raise FileProblems(path, problems, "sourcing file")
    return sourcing


class CsvRow(_Strict):
    supplier: Name
    role: Role | None = None
    product: str | None = None
    component: str | None = None
    country: str | None = None
    website: str | None = None
    contact: str | None = None
    owner: str | None = None
    aliases: list[str] = Field(default_factory=list)
    product_line: str | None = None
    support_end: date | None = None
    note: str | None = None

    @field_validator("aliases", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [a.strip() for a in value.split(";") if a.strip()]
        return value


def _csv_problem(line: int, field: str, message: str, fix: str) -> Problem:
    return Problem(field=f"row {line - 1}: {field}", message=message, fix=fix, line=line)


def load_csv_sourcing(path: Path) -> Sourcing:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problem = Problem(field="(file)", message=f"cannot be read ({exc})", fix="check the path")
        raise FileProblems(path, [problem], "sourcing file") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    problems = [
        _csv_problem(1, name, "unknown column", f"use only: {', '.join(CSV_COLUMNS)}")
        for name in header
        if name not in CSV_COLUMNS
    ]
    if "supplier" not in header:
        problems.append(_csv_problem(1, "supplier", "missing column", "add a 'supplier' column"))
    if problems:
        raise FileProblems(path, problems, "sourcing file")
    rows: list[tuple[int, CsvRow]] = []
    for number, raw in enumerate(reader, start=2):
        values = {k.strip(): v.strip() for k, v in raw.items() if k and v is not None and v.strip()}
        if not values:
            continue
        try:
            row = CsvRow.model_validate(values)
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"])
                fix = "fill in this column" if err["type"] == "missing" else "correct the value"
                if field == "role":
                    fix = f"use one of: {', '.join(roles())}"
                elif field == "support_end":
                    fix = "write a date as YYYY-MM-DD"
                problems.append(_csv_problem(number, field, err["msg"], fix))
            continue
        if (row.product or row.component) and not row.role:
            problems.append(
                _csv_problem(number, "role", "a link needs a role", f"use one of: {roles()}")
            )
            continue
        rows.append((number, row))
    if problems:
        raise FileProblems(path, problems, "sourcing file")
    return _from_rows(rows)


def _from_rows(rows: list[tuple[int, CsvRow]]) -> Sourcing:
    suppliers: dict[str, SupplierDecl] = {}
    products: dict[str, ProductDecl] = {}
    components: list[ComponentDecl] = []
    for _, row in rows:
        decl = suppliers.setdefault(row.supplier.lower(), SupplierDecl(name=row.supplier))
        for attr in ("country", "website", "contact", "owner"):
            if getattr(row, attr):
                setattr(decl, attr, getattr(row, attr))
        decl.aliases.extend(a for a in row.aliases if a not in decl.aliases)
        if row.role and row.role not in decl.roles:
            decl.roles.append(row.role)
        if row.component:
            components.append(
                ComponentDecl(
                    component=row.component,
                    supplier=row.supplier,
                    role=row.role or "",
                    products=[row.product] if row.product else [],
                    note=row.note,
                )
            )
        elif row.product:
            role = row.role or ""
            product = products.setdefault(row.product.lower(), ProductDecl(name=row.product))
            product.line = row.product_line or product.line
            product.support_end = row.support_end or product.support_end
            existing = product.suppliers.get(role, [])
            names = [existing] if isinstance(existing, str) else existing
            product.suppliers[role] = [*names, row.supplier]
        elif row.note:
            decl.notes = row.note
    return Sourcing.model_validate(
        {
            "schema": SCHEMA,
            "suppliers": [s.model_dump() for s in suppliers.values()],
            "products": [p.model_dump() for p in products.values()],
            "components": [c.model_dump() for c in components],
        }
    )


def load_sourcing(path: Path) -> Sourcing:
    """Load a sourcing file, YAML or CSV by its suffix; raises :class:`FileProblems`."""
    if path.suffix.lower() == ".csv":
        return load_csv_sourcing(path)
    return load_yaml_sourcing(path)
