"""The supplier questionnaire: template, answer files, validation and the questionnaire score.

The template (``data/scs9001_questionnaire.yaml``) lists questions by SCS 9001 topic area, each
with an answer type, a weight and the evidence it expects. A supplier fills an answer file
written by :func:`answer_skeleton` (``iotvet suppliers questionnaire init``);
:func:`load_answers` checks it and reports every problem at once — file, line, question id or
field, what is wrong and the fix — instead of stopping at the first.
"""

from __future__ import annotations

import difflib
import json
import textwrap
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from .. import datafiles
from .config import scoring
from .problems import FileProblems, Problem, from_validation, line_of, load_yaml

TEMPLATE_FILE = "scs9001_questionnaire.yaml"
AnswerType = Literal["yes-no", "choice", "number", "date", "url", "text"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _yes_no(value: Any) -> bool:
    """A yes/no written as a YAML boolean or as the words yes / no."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true"):
        return True
    if text in ("no", "false"):
        return False
    raise ValueError(f"expected yes or no, got {value!r}")


class Claim(_Strict):
    metric: str
    op: Literal["<=", ">=", "!="]
    bound: float | str
    when: bool | None = None
    says: str

    @field_validator("when", mode="before")
    @classmethod
    def _when(cls, value: Any) -> bool | None:
        return None if value is None else _yes_no(value)


class Scale(_Strict):
    best: float
    worst: float


class Question(_Strict):
    id: str
    text: str
    type: AnswerType
    weight: float = Field(ge=0)
    required: bool = True
    evidence: str | None = None
    good: bool = True
    choices: dict[str, float] | None = None
    scale: Scale | None = None
    unit: str | None = None
    claims: list[Claim] = Field(default_factory=list)
    refs: list[str] = Field(default_factory=list)

    @field_validator("good", mode="before")
    @classmethod
    def _good(cls, value: Any) -> bool:
        return _yes_no(value)

    @model_validator(mode="after")
    def _complete(self) -> Question:
        if self.type == "choice" and not self.choices:
            raise ValueError(f"{self.id}: a choice question needs choices")
        if self.type == "number" and self.scale is None:
            raise ValueError(f"{self.id}: a number question needs a scale")
        for claim in self.claims:
            if claim.bound == "answer" and self.type != "number":
                raise ValueError(f"{self.id}: only number answers can be a claim's bound")
        return self

    def describe_answer(self) -> str:
        """How to answer, for the skeleton's comments and for error fixes."""
        if self.type == "yes-no":
            return "yes or no"
        if self.type == "choice":
            return "one of: " + ", ".join(self.choices or {})
        if self.type == "number":
            return f"a number ({self.unit})" if self.unit else "a number"
        if self.type == "date":
            return "a date, YYYY-MM-DD"
        if self.type == "url":
            return "a web address starting with https://"
        return "text"


class Topic(_Strict):
    id: str
    title: str
    scs9001_area: str
    questions: list[Question]


class Template(_Strict):
    schema_: str = Field(alias="schema")
    id: str
    version: str
    title: str
    sources: dict[str, str]
    topics: list[Topic]

    @property
    def key(self) -> str:
        """What an answer file names in ``questionnaire:`` (``iotvet-scs9001/1``)."""
        return f"{self.id}/{self.version}"

    @property
    def questions(self) -> dict[str, Question]:
        return {q.id: q for t in self.topics for q in t.questions}

    @model_validator(mode="after")
    def _unique_ids(self) -> Template:
        ids = [q.id for t in self.topics for q in t.questions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate question ids: {', '.join(duplicates)}")
        return self


@cache
def template() -> Template:
    """The packaged questionnaire template."""
    return Template.model_validate(datafiles.load(TEMPLATE_FILE))


# -- answer files ---------------------------------------------------------------------------------


class AnswerEntry(_Strict):
    answer: Any = None
    evidence: list[str] = Field(default_factory=list)
    comment: str | None = None

    @field_validator("evidence", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, str) else value


class AnswerFile(_Strict):
    questionnaire: str
    supplier: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    answered_by: str | None = None
    answered_on: date | None = None
    answers: dict[str, AnswerEntry | None] = Field(default_factory=dict)


class Answer(BaseModel):
    """A checked answer: ``value`` is typed (bool, float, str, date) or None when blank."""

    question: str
    value: bool | float | date | str | None
    evidence: list[str] = Field(default_factory=list)
    comment: str | None = None


class Answers(BaseModel):
    template: str
    supplier: str
    answered_by: str | None = None
    answered_on: date | None = None
    answers: dict[str, Answer]
    source: str | None = None

    def value(self, question_id: str) -> Any:
        answer = self.answers.get(question_id)
        return answer.value if answer else None


_TEXT = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _adapter(question: Question) -> TypeAdapter[Any]:
    kind: Any = _TEXT
    if question.type == "choice":
        kind = Literal[tuple(question.choices or {})]
    elif question.type == "number":
        upper = 100 if question.unit == "percent" else None
        kind = Annotated[float, Field(ge=0, le=upper)]
    elif question.type == "date":
        kind = date
    elif question.type == "url":
        kind = HttpUrl
    return TypeAdapter(kind)


def check_value(question: Question, raw: Any) -> Any:
    """The typed value of ``raw`` for ``question``; raises ValueError/ValidationError."""
    if question.type == "yes-no":
        return _yes_no(raw)
    if question.type == "number" and isinstance(raw, bool):
        raise ValueError(f"expected {question.describe_answer()}, got {raw!r}")
    if question.type == "text" and isinstance(raw, int | float | date):
        raw = str(raw)  # YAML read "2024" or "2024-01-01" as a number or date: keep the text
    value = _adapter(question).validate_python(raw)
    return str(value) if question.type == "url" else value


def _suggest(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else "see `iotvet suppliers questionnaire init`"


def validate_answers(
    data: Any, root: Any, tmpl: Template, source: str | None = None
) -> tuple[Answers | None, list[Problem]]:
    """Check a parsed answer file against ``tmpl``: the answers and every problem found."""
    try:
        envelope = AnswerFile.model_validate(data if data is not None else {})
    except ValidationError as exc:
        return None, from_validation(exc, root)
    problems: list[Problem] = []
    if envelope.questionnaire != tmpl.key:
        problems.append(
            Problem(
                field="questionnaire",
                message=f"answers '{envelope.questionnaire}', this iotvet asks '{tmpl.key}'",
                fix=f"set 'questionnaire: {tmpl.key}' (re-run init if the questions changed)",
                line=line_of(root, ("questionnaire",)),
            )
        )
    questions = tmpl.questions
    checked: dict[str, Answer] = {}
    for qid, entry in envelope.answers.items():
        loc: tuple[str | int, ...] = ("answers", qid)
        if qid not in questions:
            problems.append(
                Problem(
                    field=f"answers.{qid}",
                    message="no such question in this questionnaire",
                    fix=_suggest(qid, list(questions)),
                    line=line_of(root, loc),
                )
            )
            continue
        entry = entry or AnswerEntry()
        question = questions[qid]
        value = None
        if entry.answer is not None and entry.answer != "":
            try:
                value = check_value(question, entry.answer)
            except (ValueError, ValidationError) as exc:
                detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                problems.append(
                    Problem(
                        field=f"answers.{qid}.answer",
                        message=f"{detail} (got {entry.answer!r})",
                        fix=f"answer {question.describe_answer()}",
                        line=line_of(root, (*loc, "answer")),
                    )
                )
                continue
        checked[qid] = Answer(
            question=qid, value=value, evidence=entry.evidence, comment=entry.comment
        )
    for qid, question in questions.items():
        if question.required and checked.get(qid, Answer(question=qid, value=None)).value is None:
            if any(p.field.startswith(f"answers.{qid}.") for p in problems):
                continue  # already reported as malformed
            present = qid in envelope.answers
            fix = f"answer {question.describe_answer()}"
            if not present:
                fix = f"add '{qid}:' with 'answer:' under 'answers:' and {fix}"
            problems.append(
                Problem(
                    field=f"answers.{qid}.answer",
                    message=f"not answered: {' '.join(question.text.split())}",
                    fix=fix,
                    line=line_of(root, ("answers", qid)) if present else None,
                )
            )
    answers = Answers(
        template=envelope.questionnaire,
        supplier=envelope.supplier,
        answered_by=envelope.answered_by,
        answered_on=envelope.answered_on,
        answers=checked,
        source=source,
    )
    return answers, problems


def load_answers(path: Path, tmpl: Template | None = None) -> Answers:
    """Read and check an answer file; raises :class:`FileProblems` listing every problem."""
    data, root = load_yaml(path, "questionnaire answers")
    answers, problems = validate_answers(data, root, tmpl or template(), source=str(path))
    if problems or answers is None:
        raise FileProblems(path, problems, "questionnaire answers")
    return answers


def _yaml_scalar(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def answer_skeleton(supplier: str, tmpl: Template | None = None) -> str:
    """A commented answer file to fill in, one block per question, grouped by topic."""
    tmpl = tmpl or template()
    lines = [
        f"# {tmpl.title} — answers",
        "# Fill in every `answer:`; list documents or links under `evidence:` where asked.",
        "# Check with: iotvet suppliers questionnaire validate THIS_FILE",
        f"questionnaire: {tmpl.key}",
        f"supplier: {_yaml_scalar(supplier)}",
        "answered_by:",
        "answered_on:   # YYYY-MM-DD",
        "answers:",
    ]
    for topic in tmpl.topics:
        lines.append(f"  # ---- {topic.title} (SCS 9001 area: {topic.scs9001_area})")
        for q in topic.questions:
            lines.append(f"  {q.id}:")
            lines.extend(f"    # {row}" for row in _wrap(q.text.strip(), 92))
            need = "required" if q.required else "optional"
            lines.append(f"    # answer: {q.describe_answer()} — weight {q.weight:g}, {need}")
            if q.evidence:
                lines.append(f"    # evidence expected: {q.evidence}")
            lines.append("    answer:")
            lines.append("    evidence: []")
            lines.append("    comment:")
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width)


# -- the questionnaire score --------------------------------------------------------------------


class QuestionScore(BaseModel):
    question: str
    topic: str
    weight: float
    answer: Any = None
    score: float  # 0..1
    points: float  # weight × score
    note: str


class TopicScore(BaseModel):
    topic: str
    title: str
    score: float | None  # 0..100
    points: float
    max_points: float


class QuestionnaireScore(BaseModel):
    template: str
    supplier: str
    score: float | None  # 0..100
    topics: list[TopicScore]
    questions: list[QuestionScore]


def _raw_score(question: Question, value: Any) -> tuple[float, str]:
    if question.type == "yes-no":
        good = "yes" if question.good else "no"
        return (1.0, f"answered {good}") if value == question.good else (0.0, "insecure answer")
    if question.type == "choice":
        score = (question.choices or {})[str(value)]
        return score, f"'{value}' scores {score:g}"
    if question.type == "number" and question.scale is not None:
        best, worst = question.scale.best, question.scale.worst
        share = (float(value) - worst) / (best - worst) if best != worst else 1.0
        share = min(1.0, max(0.0, share))
        return share, f"{value:g} on a scale from {worst:g} (0) to {best:g} (1)"
    return 1.0, "answered"


def score_answers(
    answers: Answers, tmpl: Template | None = None, contradicted: set[str] | None = None
) -> QuestionnaireScore:
    """Weighted questionnaire score; ``contradicted`` questions (by measurement) score 0."""
    tmpl = tmpl or template()
    factor = scoring().questionnaire.unevidenced_factor
    contradicted = contradicted or set()
    rows: list[QuestionScore] = []
    topics: list[TopicScore] = []
    for topic in tmpl.topics:
        points = max_points = 0.0
        for q in topic.questions:
            answer = answers.answers.get(q.id)
            value = answer.value if answer else None
            if value is None:
                score, note = 0.0, "not answered"
            else:
                score, note = _raw_score(q, value)
                if q.evidence and not (answer and answer.evidence) and score > 0:
                    score *= factor
                    note += f"; no evidence given (× {factor:g})"
                if q.id in contradicted:
                    score, note = 0.0, note + "; contradicted by measured firmware history"
            rows.append(
                QuestionScore(
                    question=q.id,
                    topic=topic.id,
                    weight=q.weight,
                    answer=value.isoformat() if isinstance(value, date) else value,
                    score=round(score, 4),
                    points=round(q.weight * score, 4),
                    note=note,
                )
            )
            points += q.weight * score
            max_points += q.weight
        topics.append(
            TopicScore(
                topic=topic.id,
                title=topic.title,
                score=round(100 * points / max_points, 1) if max_points else None,
                points=round(points, 4),
                max_points=max_points,
            )
        )
    total = sum(t.points for t in topics)
    total_max = sum(t.max_points for t in topics)
    return QuestionnaireScore(
        template=tmpl.key,
        supplier=answers.supplier,
        score=round(100 * total / total_max, 1) if total_max else None,
        topics=topics,
        questions=rows,
    )
