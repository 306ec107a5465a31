"""Requirement catalogs: one YAML data file per regime under ``catalogs/``, loaded and linted here.

A catalog entry says what a requirement asks (own words for copyrighted texts), where it comes
from, and how iotvet decides it: from theme verdicts (optionally narrowed to check families),
vulnerability facts, the component inventory, declaration fields, its children, or not at all
("document only"). Keeping this in data lets a standards expert review the decisions without
reading Python; ``lint`` is what the tests and ``iotvet`` run to keep the files consistent.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..datafiles import package_file, read_yaml
from ..model import THEMES

REGIMES: tuple[str, ...] = (
    "nist-ir-8425",
    "etsi-en-303-645",
    "eu-cra",
    "uk-psti",
    "fcc-registry",
)

_STATUS_RE = re.compile(r"^(?P<level>[MR])(?:\s+C)?(?:\s*(?P<kind>[CF])\((?P<args>[^)]*)\))?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    ref: str
    url: str | None = None


class ThemeRef(_Strict):
    """A theme verdict that decides a requirement, optionally narrowed to check families."""

    theme: str
    families: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: object) -> object:
        return {"theme": data} if isinstance(data, str) else data


class DeclRule(_Strict):
    """One declaration field a requirement needs, and what value passes."""

    field: str
    expect: Literal["true", "present"] | None = None  # None: true for booleans/statements
    min: int | None = None
    when: str | None = None  # only needed when this (boolean) field is true
    or_fields: list[str] = Field(default_factory=list)  # alternatives: any one may satisfy it

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: object) -> object:
        return {"field": data} if isinstance(data, str) else data


class MinSupport(_Strict):
    years: int
    unless: str | None = None


class Decide(_Strict):
    themes: list[ThemeRef] = Field(default_factory=list)
    vulns: Literal["kev", "exploitable"] | None = None
    inventory: bool = False
    declare: list[DeclRule] = Field(default_factory=list)
    min_support_years: MinSupport | None = None
    children: bool = False
    requirements: list[str] = Field(default_factory=list)
    ics_justifications: bool = False
    document_only: str | None = None

    @property
    def automatic(self) -> bool:
        """Decided (at least partly) from firmware evidence."""
        return bool(self.themes or self.vulns or self.inventory)

    @property
    def declared(self) -> bool:
        return bool(self.declare or self.min_support_years or self.ics_justifications)

    @property
    def kind(self) -> str:
        """How the requirement is decided, for summaries: evidence, declaration, both, …"""
        if self.document_only:
            return "document-only"
        if self.children or self.requirements:
            return "aggregate"
        if self.automatic and self.declared:
            return "evidence+declaration"
        return "evidence" if self.automatic else "declaration"


class Requirement(_Strict):
    id: str
    parent: str | None = None
    title: str
    text: str | None = None
    status: str | None = None
    v2_id: str | None = None
    v2_status: str | None = None
    evidence_kinds: list[str] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list)
    source: Source
    id_origin: Literal["source", "iotvet"] = "source"
    unverified: str | None = None
    applies_when: list[str] = Field(default_factory=list)
    maps_to: list[str] = Field(default_factory=list)
    fix: str | None = None
    decide: Decide

    @property
    def level(self) -> str | None:
        """M or R for EN 303 645 provisions."""
        match = _STATUS_RE.match(self.status or "")
        return match.group("level") if match else None

    def status_refs(self) -> list[str]:
        """Condition numbers and feature letters in an EN 303 645 status ("M C F(14,e)")."""
        match = _STATUS_RE.match(self.status or "")
        if not match or not match.group("args"):
            return []
        return [a.strip() for a in match.group("args").split(",") if a.strip()]


class Catalog(_Strict):
    regime: str
    title: str
    version: str
    publisher: str
    license_note: str
    sources: list[Source]
    notes: list[str] = Field(default_factory=list)
    unverified: list[str] = Field(default_factory=list)
    #: EN 303 645: condition number / feature letter -> declaration field that answers it.
    status_refs: dict[str, str] = Field(default_factory=dict)
    requirements: list[Requirement]

    def get(self, requirement_id: str) -> Requirement:
        for r in self.requirements:
            if r.id == requirement_id:
                return r
        raise KeyError(f"{self.regime} has no requirement {requirement_id}")

    def children(self, requirement_id: str) -> list[Requirement]:
        return [r for r in self.requirements if r.parent == requirement_id]

    def applicability(self, req: Requirement) -> list[str]:
        """Declaration fields that must not be false for ``req`` to apply."""
        return [*req.applies_when, *(self.status_refs[ref] for ref in req.status_refs())]


class Vocabulary(_Strict):
    families: dict[str, str]
    checks: dict[str, str]
    sources: list[Source]


def _read(name: str) -> object:
    return read_yaml(package_file(__package__, "catalogs", name))


@cache
def load_catalog(regime: str) -> Catalog:
    if regime not in REGIMES:
        raise KeyError(f"unknown regime {regime!r}; known: {', '.join(REGIMES)}")
    return Catalog.model_validate(_read(f"{regime}.yaml"))


@cache
def vocabulary() -> Vocabulary:
    return Vocabulary.model_validate(_read("vocabulary.yaml"))


def load_all() -> list[Catalog]:
    return [load_catalog(r) for r in REGIMES]


def lint(catalog: Catalog) -> list[str]:
    """Problems in one catalog: duplicates, dangling references, missing decision rules."""
    from .declarations import field_paths

    problems: list[str] = []
    fields = field_paths()
    vocab = vocabulary()
    ids = [r.id for r in catalog.requirements]
    seen: set[str] = set()
    for rid in ids:
        if rid in seen:
            problems.append(f"{catalog.regime}: duplicate id {rid}")
        seen.add(rid)
    if not catalog.sources:
        problems.append(f"{catalog.regime}: no sources")
    for ref, path in catalog.status_refs.items():
        if path not in fields:
            problems.append(f"{catalog.regime}: status ref {ref} -> unknown field {path}")
    for r in catalog.requirements:
        where = f"{catalog.regime}:{r.id}"
        d = r.decide
        if not (d.document_only or d.automatic or d.declared or d.children or d.requirements):
            problems.append(f"{where}: no decision rule and not document-only")
        if d.document_only and (d.automatic or d.declared or d.children):
            problems.append(f"{where}: document-only but also has a decision rule")
        if not r.source.ref:
            problems.append(f"{where}: source without reference")
        if r.parent is not None and r.parent not in seen:
            problems.append(f"{where}: parent {r.parent} not in catalog")
        if d.children and not catalog.children(r.id):
            problems.append(f"{where}: decided by children but has none")
        for other in d.requirements:
            if other not in seen:
                problems.append(f"{where}: aggregates unknown requirement {other}")
        for t in d.themes:
            if t.theme not in THEMES:
                problems.append(f"{where}: unknown theme {t.theme}")
            for fam in t.families:
                if fam not in vocab.families:
                    problems.append(f"{where}: unknown check family {fam}")
        rule_fields = [x.field for x in d.declare] + [x.when for x in d.declare if x.when]
        rule_fields += [alt for x in d.declare for alt in x.or_fields]
        if d.min_support_years and d.min_support_years.unless:
            rule_fields.append(d.min_support_years.unless)
        for path in [*rule_fields, *r.applies_when]:
            if path not in fields:
                problems.append(f"{where}: unknown declaration field {path}")
        for chk in r.checks:
            if chk not in vocab.checks:
                problems.append(f"{where}: unknown check code {chk}")
        for ref in r.status_refs():
            if ref not in catalog.status_refs:
                problems.append(f"{where}: status refers to unmapped condition/feature {ref}")
        if r.status and catalog.regime == "etsi-en-303-645" and r.level is None:
            problems.append(f"{where}: status {r.status!r} not understood")
        for target in r.maps_to:
            regime, _, other_id = target.partition(":")
            if regime not in REGIMES or not other_id:
                problems.append(f"{where}: bad mapping {target}")
    return problems


def lint_all() -> list[str]:
    problems: list[str] = []
    catalogs = load_all()
    for c in catalogs:
        problems += lint(c)
    known = {(c.regime, r.id) for c in catalogs for r in c.requirements}
    for c in catalogs:
        for r in c.requirements:
            for target in r.maps_to:
                regime, _, other = target.partition(":")
                if regime in REGIMES and (regime, other) not in known:
                    problems.append(f"{c.regime}:{r.id}: maps to unknown {target}")
    return problems
