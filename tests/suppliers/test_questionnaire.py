"""The questionnaire template, the answer skeleton, validation errors and the score."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from iotvet.suppliers.claims import check_claims
from iotvet.suppliers.config import scoring
from iotvet.suppliers.history import History, Release
from iotvet.suppliers.metrics import measure
from iotvet.suppliers.problems import FileProblems
from iotvet.suppliers.questionnaire import (
    Answer,
    Answers,
    answer_skeleton,
    load_answers,
    score_answers,
    template,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "suppliers" / "answers-acme.yaml"
SCS9001_AREAS = {
    "governance and risk management",
    "organisational security",
    "secure software development and product security",
    "validation methods for software identity and source traceability",
    "product integrity (tampering and counterfeits)",
    "supplier and sub-tier supplier management",
    "vulnerability management",
    "source of origin and transparency of internal controls",
}


def test_template_covers_the_public_scs9001_topic_areas() -> None:
    tmpl = template()
    assert {t.scs9001_area for t in tmpl.topics} == SCS9001_AREAS
    for topic in tmpl.topics:
        assert topic.questions, topic.id
        assert sum(q.weight for q in topic.questions) > 0, topic.id
    evidence = [q for q in tmpl.questions.values() if q.evidence]
    assert len(evidence) >= len(tmpl.questions) // 2


def test_every_claim_names_a_real_metric() -> None:
    """A typo in a claim's metric path would silently never fire: resolve every one."""
    history = History("p", [Release(version="1", released=date(2024, 1, 1))])
    metrics = measure([history], scoring().policy, date(2024, 2, 1))
    claims = [c for q in template().questions.values() for c in q.claims]
    assert len(claims) >= 8
    for claim in claims:
        metrics.value(claim.metric)  # raises KeyError for an unknown path
    for part in scoring().supplier_score.measured:
        metrics.value(part.metric)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> dict[str, tuple[int | None, str, str]]:
    with pytest.raises(FileProblems) as info:
        load_answers(path)
    assert str(path) in str(info.value)
    return {p.field: (p.line, p.message, p.fix) for p in info.value.problems}


def test_skeleton_is_valid_yaml_listing_every_question_unanswered(tmp_path: Path) -> None:
    text = answer_skeleton("Acme Networks")
    data = yaml.safe_load(text)
    assert data["supplier"] == "Acme Networks"
    assert set(data["answers"]) == set(template().questions)
    problems = problems_of(write(tmp_path, text))
    required = [q for q in template().questions.values() if q.required]
    assert len(problems) == len(required)
    line, message, fix = problems["answers.vm.critical-fix-days.answer"]
    assert message.startswith("not answered")
    assert fix == "answer a number (days)"
    # the line points at the question's block in the skeleton
    assert text.splitlines()[line - 1].strip() == "vm.critical-fix-days:"


def test_example_answers_are_valid() -> None:
    answers = load_answers(EXAMPLE)
    assert answers.supplier == "Acme Networks"
    assert answers.value("vm.critical-fix-days") == 30
    assert answers.value("own.state-direction") is False
    assert answers.value("vm.disclosure-policy") == "https://acme.example/security/disclosure"
    assert answers.answered_on == date(2024, 8, 15)


def test_malformed_answers_get_precise_errors(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    text = text.replace("    answer: 30\n", "    answer: soon\n")  # vm.critical-fix-days
    text = text.replace("  vm.high-fix-days:", "  vm.hihg-fix-days:")
    text = text.replace("answer: per-release", "answer: sometimes")
    text = text.replace("answer: 85\n", "answer: 140\n")
    text = text.replace(
        "answer: https://acme.example/security/disclosure", "answer: acme.example/psirt"
    )
    text = text.replace(
        "  org.incident-metrics:\n    answer: no", "  org.incident-metrics:\n    answer: maybe"
    )
    path = write(tmp_path, text)
    problems = problems_of(path)
    lines = text.splitlines()

    line, message, fix = problems["answers.vm.critical-fix-days.answer"]
    assert "soon" in message and fix == "answer a number (days)"
    assert lines[line - 1].strip() == "answer: soon"

    line, message, fix = problems["answers.vm.hihg-fix-days"]
    assert message == "no such question in this questionnaire"
    assert fix == "did you mean 'vm.high-fix-days'?"
    assert lines[line - 1].strip() == "vm.hihg-fix-days:"
    # …and the real question is now missing
    assert problems["answers.vm.high-fix-days.answer"][1].startswith("not answered")
    assert problems["answers.vm.high-fix-days.answer"][2].startswith("add 'vm.high-fix-days:'")

    line, message, fix = problems["answers.gov.risk-assessment.answer"]
    assert "sometimes" in message
    assert fix == "answer one of: none, ad-hoc, per-release, continuous-risk-register"

    assert "100" in problems["answers.org.training-percent.answer"][1]
    assert "https://" in problems["answers.vm.disclosure-policy.answer"][2]
    assert problems["answers.org.incident-metrics.answer"][2] == "answer yes or no"
    assert len(problems) == 7


def test_envelope_errors(tmp_path: Path) -> None:
    problems = problems_of(
        write(tmp_path, "questionnaire: iotvet-scs9001/0\nanswers: {}\ncolour: blue\n")
    )
    assert problems["supplier"][1] == "Field required"
    assert problems["colour"][2] == "remove this field or correct its spelling"
    assert problems["colour"][0] == 3
    problems = problems_of(write(tmp_path, "questionnaire: iotvet-scs9001/0\nsupplier: X\n"))
    line, _, fix = problems["questionnaire"]
    assert line == 1 and "iotvet-scs9001/1" in fix


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "supplier: X\nanswers:\n  a: [1,\n  b: 2\n"))
    line, message, _ = problems["(syntax)"]
    assert message.startswith("not valid YAML") and line is not None and line >= 3


def test_missing_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nope.yaml")["(file)"][1] == "no such file"


def answers(values: dict[str, object], evidence: bool = True) -> Answers:
    return Answers(
        template=template().key,
        supplier="S",
        answers={
            qid: Answer(question=qid, value=v, evidence=["doc"] if evidence else [])  # type: ignore[arg-type]
            for qid, v in values.items()
        },
    )


def test_score_by_hand() -> None:
    """Three vulnerability-management answers, everything else blank.

    vm.critical-fix-days 100 on the scale 365 (0) … 30 (1): (100 − 365)/(30 − 365) = 0.791045
    vm.advisories csaf-or-vex: 1 · vm.monitoring no: 0 (insecure answer)
    topic points = 4 × 0.791045 + 2 × 1 + 2 × 0 = 5.16418 of the topic's weight
    3 + 4 + 3 + 3 + 2 + 2 + 2 + 3 + 2 = 24
    """
    result = score_answers(
        answers(
            {"vm.critical-fix-days": 100.0, "vm.advisories": "csaf-or-vex", "vm.monitoring": False}
        )
    )
    topic = next(t for t in result.topics if t.topic == "vulnerability-management")
    assert topic.max_points == 24
    assert topic.points == pytest.approx(4 * 265 / 335 + 2, abs=1e-3)
    assert topic.score == round(100 * (4 * 265 / 335 + 2) / 24, 1)
    total = sum(q.weight for q in template().questions.values())
    assert result.score == round(100 * (4 * 265 / 335 + 2) / total, 1)
    # an answer without the evidence the question expects counts half (unevidenced_factor)
    bare = score_answers(answers({"vm.critical-fix-days": 100.0}, evidence=False))
    row = next(q for q in bare.questions if q.question == "vm.critical-fix-days")
    assert row.score == pytest.approx(0.5 * 265 / 335, abs=1e-4)
    assert "no evidence" in row.note


def test_inverted_yes_no_and_contradiction() -> None:
    result = score_answers(
        answers({"own.state-direction": False, "vm.update-interval-days": 90.0}),
        contradicted={"vm.update-interval-days"},
    )
    rows = {q.question: q for q in result.questions}
    assert rows["own.state-direction"].score == 1.0  # "no" is the secure answer here
    assert rows["vm.update-interval-days"].score == 0.0
    assert "contradicted" in rows["vm.update-interval-days"].note


def test_claims_against_measurements() -> None:
    """Claim "critical fixes within 30 days" against a history whose critical fix took 200."""
    from iotvet.model import Vulnerability

    crit = Vulnerability(id="V1", component="zlib@1", severity="critical", published="2024-01-01")
    history = History(
        "p",
        [
            Release(version="1", released=date(2024, 1, 10), vulnerabilities=[crit]),
            Release(version="2", released=date(2024, 7, 19)),  # 2024-01-01 + 200 days
        ],
    )
    metrics = measure([history], scoring().policy, date(2024, 8, 1))
    checks = check_claims(
        answers({"vm.critical-fix-days": 30.0, "vm.update-interval-days": 365.0}), metrics
    )
    by_question = {c.question: c for c in checks}
    critical = by_question["vm.critical-fix-days"]
    assert critical.status == "contradicted"
    assert critical.measured == 200 and critical.bound == 30
    assert any("V1" in fact and "200 days" in fact for fact in critical.facts)
    interval = by_question["vm.update-interval-days"]
    assert interval.status == "consistent" and interval.measured == 191  # 01-10 → 07-19
    # no answer, no claim; an answer that claims nothing (a "no") is not checked either
    assert "vm.high-fix-days" not in by_question
    none = check_claims(answers({"vm.no-known-critical-at-release": False}), metrics)
    assert none == []
    unmeasured = check_claims(answers({"vm.kev-fix-days": 14.0}), metrics)
    assert [c.status for c in unmeasured] == ["not-measured"]
