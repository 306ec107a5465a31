"""The manufacturer's declaration file: what the firmware cannot show.

Many baseline requirements are about the manufacturer (a published support period, a disclosure
policy, documentation) or about behaviour a lab tests on a running device. iotvet takes those facts
from one YAML file per product, validated here with pydantic so that every mistake is reported with
the file, the field and the fix. The conformity engine reads fields by dotted path
("support_period.end_date"); the catalogs cite the same paths, and the catalog lint checks that
every cited path exists in these models.

``write_template`` renders the commented template of ``iotvet declare init`` from these models, so
the template can never drift from what the loader accepts.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

DECLARATIONS_SCHEMA = "iotvet/declarations/1"

_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_url(value: str) -> str:
    if not _URL_RE.match(value.strip()):
        raise ValueError(
            "is not a web address; fix: write a full URL starting with https:// "
            "(e.g. https://example.com/support)"
        )
    return value.strip()


def _check_contact(value: str) -> str:
    text = value.strip()
    if _EMAIL_RE.match(text) or _URL_RE.match(text) or text.lower().startswith(("mailto:", "tel:")):
        return text
    raise ValueError(
        "is not a contact; fix: write an e-mail address, a mailto: link or an https:// URL "
        "(e.g. security@example.com)"
    )


Url = Annotated[str, AfterValidator(_check_url)]
Contact = Annotated[str, AfterValidator(_check_contact)]


class _Section(BaseModel):
    """A block of the declaration file; unknown keys are errors (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_block(cls, data: Any) -> Any:
        # "support_period:" with nothing under it loads as None: treat it as an empty block.
        return {} if data is None else data


class Statement(_Section):
    """A manufacturer statement about one practice or capability, for the assessor to check."""

    implemented: bool | None = Field(
        default=None, description="true if the product/manufacturer does this, false if not"
    )
    detail: str | None = Field(
        default=None, description="how it is done (or why not) in one or two sentences"
    )
    reference: str | None = Field(
        default=None,
        description="where the assessor finds the proof: URL, document id, test report",
    )

    @model_validator(mode="after")
    def _detail_needed(self) -> Statement:
        if self.implemented is True and not (self.detail or "").strip():
            raise ValueError(
                "implemented is true but detail is empty; fix: say in detail how it is done"
            )
        return self


class IcsAnswer(_Section):
    """One row of the EN 303 645 implementation conformance statement (Table B.1)."""

    support: Literal["Y", "N", "N/A"] | None = Field(default=None, description="Y, N or N/A")
    detail: str | None = Field(
        default=None, description="measures implemented, or the justification for N or N/A"
    )


class Product(_Section):
    name: str = Field(description="product name as sold", examples=["DS-2 Edge Controller"])
    model: str | None = Field(default=None, description="model designation", examples=["DS-2"])
    manufacturer: str | None = Field(
        default=None,
        description="manufacturer name or registered trade name",
        examples=["Dunmore Ltd"],
    )
    manufacturer_address: str | None = Field(
        default=None,
        description="postal address of the manufacturer",
        examples=["1 Quay St, Cork, IE"],
    )
    manufacturer_contact: Contact | None = Field(
        default=None, description="general contact: e-mail or URL", examples=["support@example.com"]
    )
    website: Url | None = Field(default=None, description="manufacturer website")
    type_or_batch: str | None = Field(
        default=None, description="type, batch or serial-number range identifying the product"
    )
    hardware_version: str | None = Field(default=None, description="hardware revision")
    firmware_version: str | None = Field(default=None, description="firmware version assessed")
    identification: str | None = Field(
        default=None,
        description="how one unit is uniquely identified (serial on label and in the UI, …)",
    )
    model_designation_shown: str | None = Field(
        default=None,
        description="where the model designation is visible (label on device, UI page)",
    )
    components: list[str] = Field(
        default_factory=list,
        description="every product component: device, companion app, cloud backend, hub",
    )
    integration_component: bool | None = Field(
        default=None, description="true if sold as a component for integration into other products"
    )
    authorised_representative: str | None = Field(
        default=None, description="EU/UK authorised representative, if any"
    )


class SupportPeriod(_Section):
    start_date: dt.date | None = Field(
        default=None, description="date the product was first placed on the market (YYYY-MM-DD)"
    )
    end_date: dt.date | None = Field(
        default=None, description="last day security updates are guaranteed (YYYY-MM-DD)"
    )
    published_url: Url | None = Field(
        default=None, description="public page that states the end date"
    )
    support_type: str | None = Field(
        default=None,
        description="type of technical security support (security updates, replacement …)",
    )
    rationale: str | None = Field(
        default=None, description="why this length fits the expected use time (needed if < 5 years)"
    )
    notify_users_at_end: bool | None = Field(
        default=None, description="true if users are told when support ends"
    )


class Updates(_Section):
    automatic: bool | None = Field(
        default=None, description="true if updates can install automatically"
    )
    automatic_by_default: bool | None = Field(
        default=None, description="true if automatic security updates are on by default"
    )
    consent_at_setup: bool | None = Field(
        default=None, description="true if setup asks the user to turn on automatic updates"
    )
    checks_after_setup: bool | None = Field(
        default=None,
        description="true if the device checks for updates after setup and periodically",
    )
    user_can_disable_automatic: bool | None = Field(
        default=None, description="true if the user can turn automatic updates off"
    )
    user_can_postpone: bool | None = Field(
        default=None, description="true if the user can postpone an update"
    )
    notifications: bool | None = Field(
        default=None, description="true if the product notifies the user of available updates"
    )
    user_can_disable_notifications: bool | None = Field(
        default=None, description="true if the user can turn update notifications off"
    )
    free_of_charge: bool | None = Field(
        default=None, description="true if security updates are free"
    )
    security_separate_from_features: bool | None = Field(
        default=None, description="true if security fixes can ship apart from feature updates"
    )
    kept_available_years: int | None = Field(
        default=None,
        ge=0,
        description="years each security update stays downloadable",
        examples=[10],
    )
    critical_fix_days: int | None = Field(
        default=None, ge=0, description="target days to ship a fix for a critical vulnerability"
    )
    instructions_url: Url | None = Field(default=None, description="how to get and install updates")
    release_notes_url: Url | None = Field(
        default=None, description="release notes saying which risks each update fixes"
    )


class VulnerabilityDisclosure(_Section):
    contact: Contact | None = Field(
        default=None,
        description="where to report security issues",
        examples=["security@example.com"],
    )
    policy_url: Url | None = Field(default=None, description="published disclosure (CVD) policy")
    security_txt_url: Url | None = Field(default=None, description="RFC 9116 security.txt location")
    acknowledgement_days: int | None = Field(
        default=None,
        ge=0,
        description="days until a reporter gets an acknowledgement",
        examples=[5],
    )
    status_update_days: int | None = Field(
        default=None,
        ge=0,
        description="days between status updates until resolution",
        examples=[30],
    )
    advisories_url: Url | None = Field(
        default=None, description="public advisories of fixed issues"
    )
    csaf_provider_url: Url | None = Field(
        default=None, description="CSAF provider-metadata.json, if advisories are machine-readable"
    )


class Data(_Section):
    deletion_method: str | None = Field(
        default=None, description="how a user erases all user data and settings from the device"
    )
    deletion_instructions_url: Url | None = Field(
        default=None, description="instructions for deleting data and decommissioning"
    )
    service_deletion: str | None = Field(
        default=None, description="how personal data is deleted from associated cloud services"
    )


class Documentation(_Section):
    user_manual_url: Url | None = Field(default=None, description="user manual / user information")
    secure_configuration_url: Url | None = Field(
        default=None, description="guidance on setting the product up securely"
    )
    security_check_url: Url | None = Field(
        default=None, description="guidance on checking the product is (still) set up securely"
    )
    change_default_password_url: Url | None = Field(
        default=None, description="how to change the default password, or a statement it cannot be"
    )
    update_instructions_url: Url | None = Field(
        default=None, description="how to install updates and turn automatic updates off"
    )
    maintenance_url: Url | None = Field(
        default=None, description="needed maintenance, also after the support period"
    )
    vulnerability_management_options_url: Url | None = Field(
        default=None, description="options customers have (configuration, patch management)"
    )
    privacy_notice_url: Url | None = Field(
        default=None, description="what personal data is processed"
    )
    telemetry_disclosure_url: Url | None = Field(
        default=None, description="what telemetry is collected, by whom and why"
    )
    sensors_url: Url | None = Field(
        default=None, description="documentation of external sensing (camera, microphone, GPS)"
    )
    intended_use_url: Url | None = Field(
        default=None, description="intended purpose, essential functions, security properties"
    )
    misuse_risks_url: Url | None = Field(
        default=None, description="foreseeable circumstances that lead to significant risks"
    )
    eu_declaration_of_conformity_url: Url | None = Field(
        default=None, description="internet address of the EU declaration of conformity"
    )
    integrator_information_url: Url | None = Field(
        default=None, description="information integrators need (only for components)"
    )
    non_updatable_rationale_url: Url | None = Field(
        default=None, description="why parts cannot be updated and how hardware replacement works"
    )


class Sbom(_Section):
    maintained: bool | None = Field(
        default=None, description="true if you keep an SBOM per release"
    )
    hbom_maintained: bool | None = Field(
        default=None, description="true if you keep a hardware BOM"
    )
    format: str | None = Field(default=None, description="SBOM format", examples=["CycloneDX 1.6"])
    available_to_users: bool | None = Field(
        default=None, description="true if users can obtain the SBOM"
    )
    available_to_users_url: Url | None = Field(default=None, description="where users get the SBOM")


class Features(_Section):
    """The conditions and features of EN 303 645 V3.1.3 (its ICS answers); null = not answered."""

    passwords: bool | None = Field(
        default=None, description="(a) passwords are used for authentication"
    )
    preinstalled_unique_passwords: bool | None = Field(
        default=None, description="(b) units ship with pre-installed unique per-device passwords"
    )
    crypto_authentication: bool | None = Field(
        default=None, description="(c) cryptographic authentication (incl. password-based) is used"
    )
    user_authentication: bool | None = Field(
        default=None, description="(d) users authenticate against the device"
    )
    network_authentication: bool | None = Field(
        default=None, description="(e) authentication happens over network interfaces"
    )
    mutable_software: bool | None = Field(
        default=None, description="(f) some software components are not immutable"
    )
    updatable_software: bool | None = Field(
        default=None, description="(g) software components are updatable"
    )
    network_updates: bool | None = Field(
        default=None, description="(j) updates are delivered over a network interface"
    )
    persistent_security_parameters: bool | None = Field(
        default=None, description="(k) sensitive security parameters are kept in persistent storage"
    )
    hardcoded_unique_identity: bool | None = Field(
        default=None, description="(l) a hard-coded unique per-device identity is used for security"
    )
    update_or_service_csps: bool | None = Field(
        default=None,
        description="(m) keys protect updates or communication with associated services",
    )
    network_configuration_changes: bool | None = Field(
        default=None, description="(n) security-relevant settings can be changed over a network"
    )
    csps_leave_device: bool | None = Field(
        default=None, description="(o) critical security parameters are sent outside the device"
    )
    unused_network_interfaces: bool | None = Field(
        default=None, description="(p) the hardware has network interfaces the product does not use"
    )
    debug_interfaces: bool | None = Field(default=None, description="(q) debug interfaces exist")
    physical_debug_ports: bool | None = Field(
        default=None, description="(r) debug interfaces that are physical ports exist"
    )
    tamper_detection: bool | None = Field(
        default=None, description="(s) secure boot or other unauthorised-change detection exists"
    )
    sends_personal_data: bool | None = Field(
        default=None, description="(t) the device sends personal data to associated services"
    )
    sends_sensitive_personal_data: bool | None = Field(
        default=None, description="(u) the device sends sensitive personal data"
    )
    external_sensors: bool | None = Field(
        default=None, description="(v) camera, microphone, GPS or other external sensing"
    )
    telemetry: bool | None = Field(default=None, description="(w) telemetry is collected")
    personal_data_in_associated_service: bool | None = Field(
        default=None, description="(x) an associated service can store personal data"
    )
    consent_based_processing: bool | None = Field(
        default=None, description="(y) processing is based on the user's consent"
    )
    processes_personal_data: bool | None = Field(
        default=None, description="(z) the device processes personal data"
    )
    aggregate_only_processing: bool | None = Field(
        default=None, description="(aa) data is collected only to compute an aggregate result"
    )
    non_updatable_components: bool | None = Field(
        default=None, description="(condition 3) some software components cannot be updated"
    )
    update_mechanism: bool | None = Field(
        default=None, description="(condition 12) an update mechanism is implemented"
    )
    brute_force_protection_feasible: bool | None = Field(
        default=None,
        description="(condition 14) no resource constraint prevents brute-force protection",
    )
    update_mechanism_feasible: bool | None = Field(
        default=None,
        description="(condition 15) no resource constraint prevents an update mechanism",
    )
    device_csps: bool | None = Field(
        default=None, description="(condition 16) critical security parameters relate to the device"
    )


def _statement() -> Any:
    return Field(default_factory=Statement)


class Practices(_Section):
    """What the manufacturer does as an organisation (process evidence)."""

    risk_assessment: Statement = _statement()
    development_assumptions: Statement = _statement()
    design_documentation: Statement = _statement()
    maintenance_documentation: Statement = _statement()
    baseline_conformance_documented: Statement = _statement()
    technical_documentation: Statement = _statement()
    secure_development: Statement = _statement()
    security_testing: Statement = _statement()
    vulnerability_management: Statement = _statement()
    vulnerability_monitoring: Statement = _statement()
    timely_security_updates: Statement = _statement()
    component_due_diligence: Statement = _statement()
    upstream_vulnerability_reporting: Statement = _statement()
    exploited_vulnerability_reporting: Statement = _statement()
    incident_reporting: Statement = _statement()
    incident_notification: Statement = _statement()
    ecosystem_information_sharing: Statement = _statement()
    customer_support: Statement = _statement()
    csp_lifecycle_management: Statement = _statement()
    reviewed_crypto_implementations: Statement = _statement()
    crypto_agility: Statement = _statement()
    telemetry_monitoring: Statement = _statement()
    data_minimisation: Statement = _statement()
    anonymisation: Statement = _statement()


class Capabilities(_Section):
    """Device behaviour a lab confirms on a running unit; the firmware cannot show it."""

    configuration_change_authorized: Statement = _statement()
    configuration_applied: Statement = _statement()
    secure_default_restore: Statement = _statement()
    input_validation: Statement = _statement()
    network_access_control: Statement = _statement()
    onboarding_access_control: Statement = _statement()
    unique_password_generation: Statement = _statement()
    m2m_without_passwords: Statement = _statement()
    password_change: Statement = _statement()
    brute_force_protection: Statement = _statement()
    simple_updates: Statement = _statement()
    update_disruption_notice: Statement = _statement()
    non_updatable_isolation: Statement = _statement()
    hardware_replaceable: Statement = _statement()
    identity_tamper_resistance: Statement = _statement()
    per_device_credentials: Statement = _statement()
    no_unauthenticated_disclosure: Statement = _statement()
    physical_interfaces_minimised: Statement = _statement()
    debug_ports_protected: Statement = _statement()
    code_minimisation: Statement = _statement()
    secure_boot: Statement = _statement()
    tamper_alerting: Statement = _statement()
    integrity_violation_reporting: Statement = _statement()
    outage_resilience: Statement = _statement()
    local_operation_on_network_loss: Statement = _statement()
    orderly_reconnection: Statement = _statement()
    dos_resilience: Statement = _statement()
    usable_setup: Statement = _statement()
    consent_management: Statement = _statement()
    deletion_confirmation: Statement = _statement()


class Psti(_Section):
    """UK PSTI statement-of-compliance details (Schedule 4 of SI 2023/1007)."""

    prepared_by_or_for_manufacturer: bool | None = Field(
        default=None,
        description="true if the statement is prepared by or on behalf of the manufacturer",
    )
    standard: str | None = Field(
        default=None,
        description="standard cited for deemed compliance (number, version, date)",
        examples=["ETSI EN 303 645 V2.1.1 (2020-06)"],
    )
    signatory_name: str | None = Field(default=None, description="who signs the statement")
    signatory_function: str | None = Field(default=None, description="the signatory's function")
    place: str | None = Field(default=None, description="place of issue")
    date: dt.date | None = Field(default=None, description="date of issue (YYYY-MM-DD)")


class Fcc(_Section):
    """U.S. Cyber Trust Mark registry details (47 CFR § 8.222)."""

    registry_url: Url | None = Field(
        default=None,
        description="URL where the registry record is published (the QR code points here)",
    )
    authorization_date: dt.date | None = Field(
        default=None, description="date the CLA authorised use of the label (YYYY-MM-DD)"
    )
    authorization_status: str | None = Field(
        default=None, description="current status of the authorisation", examples=["active"]
    )
    cla_name: str | None = Field(default=None, description="Cybersecurity Label Administrator")
    cla_contact: Contact | None = Field(default=None, description="CLA contact")
    lab_name: str | None = Field(
        default=None, description="CyberLAB that did the conformity testing"
    )


class Declarations(_Section):
    """The whole declaration file."""

    schema_: Literal["iotvet/declarations/1"] = Field(
        default="iotvet/declarations/1", alias="schema", description="format version; leave as is"
    )
    product: Product
    support_period: SupportPeriod = Field(default_factory=SupportPeriod)
    updates: Updates = Field(default_factory=Updates)
    vulnerability_disclosure: VulnerabilityDisclosure = Field(
        default_factory=VulnerabilityDisclosure
    )
    data: Data = Field(default_factory=Data)
    documentation: Documentation = Field(default_factory=Documentation)
    sbom: Sbom = Field(default_factory=Sbom)
    features: Features = Field(default_factory=Features)
    practices: Practices = Field(default_factory=Practices)
    capabilities: Capabilities = Field(default_factory=Capabilities)
    psti: Psti = Field(default_factory=Psti)
    fcc: Fcc = Field(default_factory=Fcc)
    ics: dict[str, IcsAnswer] = Field(
        default_factory=dict,
        description='EN 303 645 Table B.1 answers by provision id, e.g. "5.6-3": '
        "{support: N, detail: why}; needed for every recommendation not met",
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True)

    @field_validator("ics", mode="before")
    @classmethod
    def _ics_ids(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return {} if value is None else value
        from .catalog import load_catalog

        known = {r.id for r in load_catalog("etsi-en-303-645").requirements}
        for key in value:
            if str(key) not in known:
                close = difflib.get_close_matches(str(key), sorted(known), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ValueError(
                    f"unknown EN 303 645 provision {key!r}{hint}; fix: use a V3.1.3 provision id "
                    "such as 5.1-1 and quote it"
                )
        return {str(k): v for k, v in value.items()}

    def get(self, path: str) -> Any:
        """The value at a dotted field path ("support_period.end_date"), None when unset."""
        node: Any = self
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
            if node is None:
                return None
        return node


# --- errors -----------------------------------------------------------------------------------

_FIXES: dict[str, str] = {
    "missing": "add this field",
    "extra_forbidden": "remove it or correct the spelling",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "int_type": "write a whole number, e.g. 30",
    "int_parsing": "write a whole number, e.g. 30",
    "int_from_float": "write a whole number, e.g. 30",
    "greater_than_equal": "write zero or a positive number",
    "date_type": "write an ISO date YYYY-MM-DD, e.g. 2030-12-31",
    "date_parsing": "write an ISO date YYYY-MM-DD, e.g. 2030-12-31",
    "date_from_datetime_parsing": "write an ISO date YYYY-MM-DD, e.g. 2030-12-31",
    "date_from_datetime_inexact": "write a date without a time, e.g. 2030-12-31",
    "string_type": "write text (put it in quotes if it looks like a number or a date)",
    "list_type": "write a list: one line per item starting with '- '",
    "dict_type": "write a block of 'key: value' lines indented under this key",
    "model_type": "write a block of 'key: value' lines indented under this key",
    "model_attributes_type": "write a block of 'key: value' lines indented under this key",
    "literal_error": "use exactly one of the values named in the message",
}


class Problem(BaseModel):
    field: str
    message: str
    fix: str
    line: int | None = None


class DeclarationError(Exception):
    """A declaration file that cannot be used; ``str()`` names file, line, field and fix."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        lines = [f"{path}: {len(problems)} problem(s) in the declaration file"]
        for p in problems:
            where = f"{path}:{p.line}" if p.line else str(path)
            lines.append(f"  {where}: {p.field}: {p.message}; fix: {p.fix}")
        super().__init__("\n".join(lines))


def _line_of(root: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (or of its deepest existing parent)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key, value in node.value:
            if key.value == str(part):
                node = value
                line = key.start_mark.line + 1
                break
        else:
            break
    return line


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the field at ``loc`` (for spelling suggestions)."""
    model: type[BaseModel] = Declarations
    for part in loc[:-1]:
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        sub = _submodel(info.annotation)
        if sub is None:
            return None
        model = sub
    return model


def _problem(err: Any, root: yaml.Node | None) -> Problem:
    # Drop validator frames pydantic adds to the location ("function-after[_check_url(), str]").
    loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
    field = ".".join(str(p) for p in loc) or "(top level)"
    kind = err["type"]
    message = str(err["msg"])
    fix = _FIXES.get(kind, "correct the value")
    if kind == "value_error" and "; fix: " in message:
        message, fix = message.removeprefix("Value error, ").split("; fix: ", 1)
    elif kind == "extra_forbidden" and loc:
        owner = _model_at(loc)
        if owner is not None:
            names = [(info.alias or name) for name, info in owner.model_fields.items()]
            close = difflib.get_close_matches(str(loc[-1]), names, n=1)
            if close:
                fix = f"remove it or correct the spelling (did you mean {close[0]!r}?)"
        message = "unknown field"
    if not isinstance(err.get("input"), dict | list) and kind not in ("missing", "extra_forbidden"):
        shown = repr(err["input"])
        message = f"{message} (got {shown[:60]})"
    return Problem(field=field, message=message, fix=fix, line=_line_of(root, loc))


def load_declarations(path: Path) -> Declarations:
    """Read and validate a declaration file; raise DeclarationError naming every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeclarationError(
            path, [Problem(field="(file)", message=f"cannot read: {exc}", fix="check the path")]
        ) from exc
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DeclarationError(
            path,
            [
                Problem(
                    field="(syntax)",
                    message=f"not valid YAML: {getattr(exc, 'problem', exc)}",
                    fix="check indentation and quoting at this line",
                    line=mark.line + 1 if mark is not None else None,
                )
            ],
        ) from exc
    if not isinstance(data, dict):
        raise DeclarationError(
            path,
            [
                Problem(
                    field="(top level)",
                    message="the file is not a block of 'key: value' lines",
                    fix="start from the template written by `iotvet declare init PRODUCT`",
                )
            ],
        )
    try:
        return Declarations.model_validate(data)
    except ValidationError as exc:
        raise DeclarationError(
            path, [_problem(e, root) for e in exc.errors(include_url=False)]
        ) from exc


# --- template ---------------------------------------------------------------------------------


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            sub = _submodel(arg)
            if sub is not None:
                return sub
    return None


def field_paths(model: type[BaseModel] = Declarations, prefix: str = "") -> set[str]:
    """Every dotted field path of the declaration models (what catalogs may cite)."""
    paths: set[str] = set()
    for name, info in model.model_fields.items():
        key = info.alias or name
        path = f"{prefix}{key}"
        paths.add(path)
        sub = _submodel(info.annotation)
        if sub is not None:
            paths |= field_paths(sub, f"{path}.")
    return paths


def _comment(info: Any, model_doc: str | None = None) -> str:
    text = info.description or model_doc or ""
    if info.examples:
        text = f"{text} (e.g. {info.examples[0]})" if text else f"e.g. {info.examples[0]}"
    return f"  # {text}" if text else ""


def _render(model: type[BaseModel], indent: int, values: dict[str, Any]) -> list[str]:
    out: list[str] = []
    pad = "  " * indent
    for name, info in model.model_fields.items():
        key = info.alias or name
        sub = _submodel(info.annotation)
        if key == "schema":
            out.append(f"{pad}schema: {DECLARATIONS_SCHEMA}{_comment(info)}")
        elif sub is not None:
            doc = (sub.__doc__ or "").strip().splitlines()[0] if sub.__doc__ else None
            header = _comment(info, doc if sub is not Statement else None)
            out.append(f"{pad}{key}:{header}")
            out.extend(_render(sub, indent + 1, values.get(key, {})))
        elif typing.get_origin(info.annotation) is dict:
            out.append(f"{pad}{key}: {{}}{_comment(info)}")
        elif typing.get_origin(info.annotation) is list:
            out.append(f"{pad}{key}: []{_comment(info)}")
        elif key in values:
            out.append(f"{pad}{key}: {json.dumps(values[key])}{_comment(info)}")
        else:
            out.append(f"{pad}{key}:{_comment(info)}")
    return out


def template(product: str) -> str:
    """The commented declaration template for ``product`` (every value empty but the name)."""
    head = [
        "# iotvet declaration file: what the manufacturer states about the product.",
        "# Fill in what applies; leave a value empty when you do not know it yet (the",
        "# requirements that need it are then reported as needs-declaration).",
        "# Statements: implemented true/false, detail = how (required when true), reference =",
        "# where an assessor finds the proof. Dates are YYYY-MM-DD. Check it with",
        "# `iotvet assess IMAGE --declarations THIS_FILE`.",
        "",
    ]
    body = _render(Declarations, 0, {"product": {"name": product}})
    return "\n".join(head + body) + "\n"


def write_template(product: str, path: Path) -> Path:
    """Write the template for ``product`` to ``path`` (never over an existing file)."""
    if path.exists():
        raise FileExistsError(f"{path} exists; choose another file name or remove it first")
    path.write_text(template(product), encoding="utf-8")
    return path
