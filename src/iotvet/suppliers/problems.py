"""Precise input errors for the files a user writes (sourcing files, questionnaire answers).

Every problem names the file, the line, the field (``answers.vm.critical-fix-days.answer``),
what is wrong and how to fix it. YAML is parsed twice — once into Python values, once into a
node tree that remembers line numbers — so a pydantic error location can be pointed at a line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

#: How to fix each pydantic error type, in words for the person editing the file.
FIXES: dict[str, str] = {
    "missing": "add this field",
    "extra_forbidden": "remove this field or correct its spelling",
    "bool_type": "answer yes or no",
    "bool_parsing": "answer yes or no",
    "float_type": "write a number, e.g. 30",
    "float_parsing": "write a number, e.g. 30",
    "int_type": "write a whole number, e.g. 30",
    "int_parsing": "write a whole number, e.g. 30",
    "greater_than_equal": "use a value that is not negative",
    "less_than_equal": "use a value within the allowed range",
    "date_type": "write a date as YYYY-MM-DD",
    "date_parsing": "write a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "write a date as YYYY-MM-DD",
    "date_from_datetime_inexact": "write a date as YYYY-MM-DD (no time of day)",
    "url_parsing": "write a full address starting with https://",
    "url_scheme": "write a full address starting with https://",
    "url_type": "write a full address starting with https://",
    "string_type": "write text (quote it if it looks like a number or yes/no)",
    "string_too_short": "write a non-empty text",
    "list_type": "write a list: one '- item' line per entry",
    "dict_type": "write a block of 'key: value' lines",
    "model_type": "write a block of 'key: value' lines",
    "model_attributes_type": "write a block of 'key: value' lines",
}


class Problem(BaseModel):
    field: str
    message: str
    fix: str
    line: int | None = None


class FileProblems(Exception):
    """A file with one or more problems; ``str()`` lists them with file:line, field and fix."""

    def __init__(self, path: Path | str, problems: Sequence[Problem], what: str = "file") -> None:
        self.path = str(path)
        self.problems = list(problems)
        lines = [f"{self.path}: {len(self.problems)} problem(s) in the {what}"]
        for p in self.problems:
            where = f"{self.path}:{p.line}" if p.line else self.path
            lines.append(f"  {where}: {p.field}: {p.message}; fix: {p.fix}")
        super().__init__("\n".join(lines))


def load_yaml(path: Path, what: str) -> tuple[Any, yaml.Node | None]:
    """The parsed document and its node tree; syntax errors become a :class:`FileProblems`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileProblems(
            path, [Problem(field="(file)", message="no such file", fix="check the path")], what
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        problem = Problem(field="(file)", message=f"cannot be read ({exc})", fix="save as UTF-8")
        raise FileProblems(path, [problem], what) from None
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = Problem(
            field="(syntax)",
            message=f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
            fix="check indentation and quoting at this line",
            line=mark.line + 1 if mark is not None else None,
        )
        raise FileProblems(path, [problem], what) from None


def line_of(root: yaml.Node | None, loc: Iterable[str | int]) -> int | None:
    """1-based line of the node at ``loc`` (or of its deepest existing parent)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(
                ((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None
            )
            if found is None:
                return line
            line = found[0].start_mark.line + 1
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def dotted(loc: Iterable[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def from_validation(
    exc: ValidationError, root: yaml.Node | None, prefix: tuple[str | int, ...] = ()
) -> list[Problem]:
    """One :class:`Problem` per pydantic error, located in the YAML tree under ``prefix``."""
    problems = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        kind = err["type"]
        fix = FIXES.get(kind, "correct the value")
        if kind == "literal_error":
            fix = f"use one of: {err.get('ctx', {}).get('expected', '')}"
        message = err["msg"]
        if kind not in ("missing", "extra_forbidden") and "input" in err:
            message += f" (got {err['input']!r})"
        problems.append(
            Problem(field=dotted(loc), message=message, fix=fix, line=line_of(root, loc))
        )
    return problems
