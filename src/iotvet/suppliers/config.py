"""The data files of supplier assurance, loaded and checked once.

* ``data/supplier_scoring.yaml`` — metric policy, score weights, product-risk weights;
* ``suppliers/supply_chain.yaml`` — supplier roles and the rules deriving links from scans;
* ``data/scs9001_questionnaire.yaml`` — the questionnaire template (see questionnaire.py).
"""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from .. import datafiles
from ..datafiles import package_file, read_yaml
from .metrics import Policy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MeasuredPart(_Strict):
    id: str
    label: str
    metric: str
    best: float
    worst: float
    weight: float = Field(ge=0)


class SupplierScoring(_Strict):
    parts: dict[str, float]
    measured_roles: list[str]
    measured: list[MeasuredPart]
    contradiction_penalty: float = Field(ge=0)
    contradiction_penalty_cap: float = Field(ge=0)


class ProductRiskConfig(_Strict):
    parts: dict[str, float]
    severity_points: dict[str, float]
    kev_points: float
    role_weights: dict[str, float]
    unscored_supplier_risk: float


class QuestionnaireConfig(_Strict):
    unevidenced_factor: float = Field(ge=0, le=1)


class ScoringConfig(_Strict):
    schema_: str = Field(alias="schema")
    sources: dict[str, str]
    policy: Policy
    questionnaire: QuestionnaireConfig
    supplier_score: SupplierScoring
    product_risk: ProductRiskConfig


class SupplyChainRules(_Strict):
    schema_: str = Field(alias="schema")
    sources: dict[str, str]
    roles: dict[str, str]
    distribution_purl_types: list[str]
    distribution_names: dict[str, str]
    cpe_vendor_role: str


@cache
def scoring() -> ScoringConfig:
    return ScoringConfig.model_validate(datafiles.load("supplier_scoring.yaml"))


@cache
def supply_chain() -> SupplyChainRules:
    rules = SupplyChainRules.model_validate(
        read_yaml(package_file(__package__, "supply_chain.yaml"))
    )
    if rules.cpe_vendor_role not in rules.roles:
        raise ValueError(f"supply_chain.yaml: cpe_vendor_role {rules.cpe_vendor_role!r} unknown")
    return rules


def roles() -> list[str]:
    return list(supply_chain().roles)
