"""A small symbolic evaluator for the POSIX shell scripts that boot and update embedded Linux.

Why: what a device starts at boot and how it flashes an update is written in shell (rcS, init.d
scripts, OpenWrt rc.common scripts, rc.local, vendor update scripts). Regular expressions over such
files cannot tell a commented-out or disabled line from a live one, nor follow ``$DAEMON $ARGS``,
``case "$1" in start)`` or ``for s in /etc/init.d/S??*; do "$s" start; done``. Scripts are parsed
with tree-sitter-bash (error tolerant, so broken vendor scripts still yield what can be read) and
walked like a shell would, without running anything:

* variables, ``${VAR:-default}`` and friends, ``$1``/``$@``, sourced files (``. /etc/default/x``),
  functions, ``case`` on a known value, ``if``/``&&``/``||`` with a three-valued outcome
  (known true, known false, unknown), ``[``/``test`` on known strings and on files of the tree,
  ``for`` over globs expanded against the root file system, ``$(cat FILE)``;
* every command reached becomes an :class:`Exec` in execution order with the conditions that guard
  it, so a caller can ask "does the flash write only happen after the signature check succeeded?";
* a command that runs another script of the tree is followed (depth and step limits apply), and
  OpenWrt ``rc.common`` scripts are run the way rc.common runs them (``boot`` -> ``start`` ->
  ``start_service``, ``procd_set_param command``), with UCI configuration read from ``/etc/config``.

Nothing here executes code from the image.
"""

from __future__ import annotations

import contextlib
import fnmatch
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import tree_sitter_bash
from tree_sitter import Language, Node, Parser, Tree

from .. import datafiles
from ..rootfs import RootFS

Status = bool | None

_WORDISH = {
    "word",
    "number",
    "string",
    "raw_string",
    "ansi_c_string",
    "translated_string",
    "simple_expansion",
    "expansion",
    "command_substitution",
    "arithmetic_expansion",
    "process_substitution",
    "concatenation",
    "extglob_pattern",
    "regex",
}
_GLOB_CHARS = re.compile(r"[*?\[]")
_UCI_OPTION = re.compile(r"""^\s*(option|list|config)\s+(\S+)(?:\s+(.*))?$""")
_UCI_TRUE = ("1", "on", "true", "yes", "enabled")
_RUNTIME_PREFIXES = ("/tmp/", "/var/", "/run/", "/proc/", "/sys/", "/dev/", "/mnt/", "/media/")


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_bash.language()))


@cache
def boot_knowledge() -> dict[str, Any]:
    return datafiles.load("boot.yaml")


def parse(source: bytes) -> Tree:
    """The tree-sitter syntax tree of a shell script (never raises on bad input)."""
    return _parser().parse(source)


def unquote(text: str) -> str:
    """Strip one level of shell quoting from a word written in a config file."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


@dataclass(frozen=True)
class Guard:
    """A condition on the way to a command: the commands ``cond`` (sequence numbers) must succeed
    (``expect`` True) or fail (False); "! cmd" conditions are already turned around. ``cond`` is
    empty for an unknown ``case`` or a loop."""

    cond: tuple[int, ...]
    expect: bool


@dataclass
class Exec:
    """One command the evaluator reached, in execution order."""

    seq: int
    argv: list[str]
    unresolved: bool  # some word could not be expanded (kept as its source text)
    path: str  # the file holding the command (links resolved)
    invoked_as: str  # how that file was run (an rc.d link, the loop variable's value, …)
    line: int  # 1-based line in ``path``
    text: str  # the source text of the command, for evidence
    chain: tuple[str, ...]  # "path:line" of every caller up to the origin
    guards: tuple[Guard, ...] = ()
    conditional: bool = False  # reached only if an unknown condition holds
    background: bool = False
    in_condition: bool = False  # the command is (part of) an if/while/&&/|| condition
    substitution: bool = False  # runs inside $(…)
    builtin: bool = False
    followed: bool = False  # a script of the tree that the evaluator went into
    redirects: tuple[tuple[str, str], ...] = ()
    stdin: str | None = None
    set_e: bool = False
    procd: bool = False  # an OpenWrt procd instance command
    function: str | None = None


class _Exit(Exception):
    """An unconditional ``exit``: stops the current script."""


class _Return(Exception):
    """An unconditional ``return``: stops the current function or sourced file."""


@dataclass
class _Frame:
    path: str
    invoked_as: str
    source: bytes
    chain: tuple[str, ...]
    args: list[str]
    env: dict[str, str | None]
    functions: dict[str, tuple[Node, _Frame]]
    guards: tuple[Guard, ...] = ()
    conditional: bool = False
    in_condition: bool = False
    substitution: bool = False
    set_e: bool = False
    function: str | None = None
    depth: int = 0
    rc_common: bool = False
    procd_instance: list[str] | None = None
    procd_line: int = 0
    procd_guards: int = 0
    guard_base: int = 0  # guards inherited from the caller: exit/return here stay unconditional
    uci: dict[str, list[tuple[str, str, dict[str, str]]]] = field(default_factory=dict)


@dataclass
class _Word:
    text: str
    known: bool


def read_uci(root: RootFS, package: str) -> list[tuple[str, str, dict[str, str]]]:
    """Sections of ``/etc/config/<package>`` as (type, name, options); anonymous ones get
    ``@type[i]`` names, as ``uci`` shows them. Lists are joined with spaces."""
    text = root.read_text(f"/etc/config/{package}", 1 << 20)
    sections: list[tuple[str, str, dict[str, str]]] = []
    if text is None:
        return sections
    counters: dict[str, int] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0] if raw.lstrip().startswith("#") else raw
        m = _UCI_OPTION.match(line)
        if not m:
            continue
        kind, key, rest = m.group(1), unquote(m.group(2)), (m.group(3) or "").strip()
        value = unquote(rest) if rest else ""
        if kind == "config":
            index = counters.get(key, 0)
            counters[key] = index + 1
            sections.append((key, value or f"@{key}[{index}]", {}))
        elif sections:
            options = sections[-1][2]
            options[key] = f"{options[key]} {value}" if kind == "list" and key in options else value
    return sections


class Shell:
    """Evaluates scripts of one root file system and records what they run."""

    def __init__(
        self,
        root: RootFS,
        *,
        follow: bool = True,
        max_depth: int = 12,
        max_steps: int = 60_000,
        hook: Callable[[Exec], bool] | None = None,
        exercise_functions: bool = False,
    ) -> None:
        self.root = root
        self.hook = hook  # called before following a command; True = the caller handled it
        # also walk functions a script defines but never calls (libraries such as
        # /lib/upgrade/*.sh), as if each were called once under an unknown condition
        self.exercise_functions = exercise_functions
        self._called: set[tuple[str, str]] = set()
        self.follow = follow
        self.max_depth = max_depth
        self.max_steps = max_steps
        self.steps = 0
        self.trace: list[Exec] = []
        self.notes: list[tuple[str, str]] = []  # (path, why something was passed over)
        self.scripts: dict[str, str] = {}  # invoked_as -> resolved path of every script run
        self._visited: set[tuple[str, tuple[str, ...]]] = set()
        self._trees: dict[str, tuple[bytes, Tree] | None] = {}
        self._uci: dict[str, list[tuple[str, str, dict[str, str]]]] = {}
        know = boot_knowledge()
        self._interpreters = set(know["shell_interpreters"])
        self._default_path = str(know["default_path"])

    # ----------------------------------------------------------------- entry points
    def run_file(
        self,
        path: str,
        args: list[str],
        *,
        chain: tuple[str, ...] = (),
        invoked_as: str | None = None,
        env: dict[str, str | None] | None = None,
        guards: tuple[Guard, ...] = (),
        conditional: bool = False,
        depth: int = 0,
    ) -> bool:
        """Evaluate the script at inner ``path`` with positional ``args``; False if unreadable."""
        resolved = self.root.resolve(path)
        loaded = self._load(resolved) if resolved else None
        if resolved is None or loaded is None:
            return False
        key = (resolved, tuple(args))
        if key in self._visited or depth > self.max_depth:
            return True
        self._visited.add(key)
        source, tree = loaded
        frame = _Frame(
            path=resolved,
            invoked_as=invoked_as or path,
            source=source,
            chain=chain,
            args=list(args),
            env=dict(env or {}),
            functions={},
            guards=guards,
            conditional=conditional,
            depth=depth,
            guard_base=len(guards),
        )
        frame.set_e = self._shebang_has_e(source)
        frame.rc_common = self._is_rc_common(source)
        self.scripts.setdefault(frame.invoked_as, resolved)
        try:
            self._block(tree.root_node, frame)
            if frame.rc_common:
                self._rc_common_action(frame)
        except (_Exit, _Return):
            pass
        except RecursionError:
            self.notes.append((resolved, "script nesting too deep to evaluate"))
        if self.exercise_functions:
            self._exercise(frame)
        return True

    def _exercise(self, frame: _Frame) -> None:
        for name, (_body, defined_in) in list(frame.functions.items()):
            if defined_in.path != frame.path or (frame.path, name) in self._called:
                continue
            sub = self._with(
                frame, guards=(*frame.guards, Guard((), True)), conditional=True, args=[]
            )
            try:
                self._call(name, [], sub)
            except (_Exit, _Return, RecursionError):
                continue

    def run_text(
        self,
        text: str,
        *,
        path: str,
        line: int = 1,
        chain: tuple[str, ...] = (),
        args: list[str] | None = None,
        env: dict[str, str | None] | None = None,
        invoked_as: str | None = None,
    ) -> None:
        """Evaluate one command line written in a non-shell file (inittab, crontab, unit)."""
        source = text.encode("utf-8", "replace")
        tree = parse(source)
        frame = _Frame(
            path=path,
            invoked_as=invoked_as or path,
            source=source,
            chain=chain,
            args=list(args or []),
            env=dict(env or {}),
            functions={},
        )
        frame_line_offset = line - 1
        start = len(self.trace)
        with contextlib.suppress(_Exit, _Return):
            self._block(tree.root_node, frame)
        for ex in self.trace[start:]:
            if ex.path == path and ex.chain == chain:
                ex.line += frame_line_offset

    # ----------------------------------------------------------------- loading
    def _load(self, path: str) -> tuple[bytes, Tree] | None:
        if path not in self._trees:
            data = self.root.read_bytes(path, 1 << 20)
            if data is None or b"\x00" in data[:4096]:
                self._trees[path] = None
            else:
                self._trees[path] = (data, parse(data))
        return self._trees[path]

    def is_script(self, path: str) -> bool:
        """True if ``path`` (links resolved) is a shell script this evaluator can follow."""
        head = self.root.read_bytes(path, 256)
        if not head or b"\x00" in head:
            return False
        if head.startswith(b"#!"):
            words = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()
            if not words:
                return False
            names = [posixpath.basename(w) for w in words[:2]]
            return (
                names[0] in self._interpreters
                or (
                    names[0] in ("busybox", "env")
                    and len(names) > 1
                    and names[1] in self._interpreters
                )
                or self._is_rc_common(head)
            )
        return path.startswith("/etc/init.d/") or path.startswith("/etc/rc")

    @staticmethod
    def _shebang_has_e(source: bytes) -> bool:
        first = source.split(b"\n", 1)[0]
        return first.startswith(b"#!") and bool(re.search(rb"\s-\w*e", first))

    @staticmethod
    def _is_rc_common(source: bytes) -> bool:
        first = source.split(b"\n", 1)[0]
        return first.startswith(b"#!") and b"rc.common" in first

    # ----------------------------------------------------------------- statements
    def _block(self, node: Node, frame: _Frame) -> Status:
        status: Status = True
        children = node.children
        for index, child in enumerate(children):
            if not child.is_named or child.type == "comment":
                continue
            background = index + 1 < len(children) and children[index + 1].type == "&"
            status = self._stmt(child, frame, background=background)
        return status

    def _stmt(
        self,
        node: Node,
        frame: _Frame,
        *,
        background: bool = False,
        redirects: tuple[tuple[str, str], ...] = (),
        stdin: str | None = None,
    ) -> Status:
        self.steps += 1
        if self.steps > self.max_steps:
            if self.steps == self.max_steps + 1:
                self.notes.append((frame.path, f"evaluation stopped after {self.max_steps} steps"))
            return None
        kind = node.type
        if kind == "command":
            return self._command(node, frame, background, redirects, stdin)
        if kind == "variable_assignment":
            self._assign(node, frame)
            return True
        if kind == "declaration_command":
            for child in node.named_children:
                if child.type == "variable_assignment":
                    self._assign(child, frame)
                elif child.type == "variable_name" and child.text:
                    frame.env.setdefault(child.text.decode(), "")
            return True
        if kind == "unset_command":
            for child in node.named_children:
                frame.env.pop((child.text or b"").decode(), None)
            return True
        if kind == "redirected_statement":
            return self._redirected(node, frame, background)
        if kind == "list":
            return self._list(node, frame)
        if kind == "pipeline":
            return self._pipeline(node, frame, background)
        if kind == "negated_command":
            inner = node.named_children[0] if node.named_children else None
            status = self._stmt(inner, frame) if inner is not None else None
            return None if status is None else not status
        if kind == "if_statement":
            return self._if(node, frame)
        if kind == "case_statement":
            return self._case(node, frame)
        if kind == "for_statement":
            return self._for(node, frame)
        if kind in ("while_statement", "until_statement", "c_style_for_statement"):
            return self._loop(node, frame)
        if kind == "function_definition":
            name_node = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if name_node is not None and body is not None:
                frame.functions[(name_node.text or b"").decode()] = (body, frame)
            return True
        if kind in ("compound_statement", "do_group", "program"):
            return self._block(node, frame)
        if kind == "subshell":
            sub = self._copy(frame)
            try:
                return self._block(node, sub)
            except (_Exit, _Return):
                return None
        if kind == "test_command":
            return self._test_command(node, frame)
        return None

    def _copy(self, frame: _Frame, **changes: Any) -> _Frame:
        values = dict(frame.__dict__)
        values["env"] = dict(frame.env)
        values.update(changes)
        return _Frame(**values)

    def _with(self, frame: _Frame, **changes: Any) -> _Frame:
        """A view of ``frame`` sharing its variables and functions, with other flags changed."""
        values = dict(frame.__dict__)
        values.update(changes)
        return _Frame(**values)

    def _redirected(self, node: Node, frame: _Frame, background: bool) -> Status:
        body = node.child_by_field_name("body")
        redirects: list[tuple[str, str]] = []
        stdin: str | None = None
        for child in node.children:
            if child.type == "file_redirect":
                op = next((c.type for c in child.children if not c.is_named), ">")
                dest = child.child_by_field_name("destination")
                if dest is not None:
                    redirects.append((op, self._single(dest, frame).text))
            elif child.type == "heredoc_redirect":
                for sub in child.children:
                    if sub.type == "heredoc_body":
                        stdin = (sub.text or b"").decode("utf-8", "replace")
                    elif sub.type == "file_redirect":
                        dest = sub.child_by_field_name("destination")
                        op = next((c.type for c in sub.children if not c.is_named), ">")
                        if dest is not None:
                            redirects.append((op, self._single(dest, frame).text))
            elif child.type == "herestring_redirect":
                words = [self._single(c, frame).text for c in child.named_children]
                stdin = " ".join(words)
        if body is None:
            return None
        return self._stmt(
            body, frame, background=background, redirects=tuple(redirects), stdin=stdin
        )

    def _list(self, node: Node, frame: _Frame) -> Status:
        named = node.named_children
        op = next((c.type for c in node.children if c.type in ("&&", "||")), "&&")
        if len(named) < 2:
            return self._block(node, frame)
        left, right = named[0], named[-1]
        start = len(self.trace)
        status = self._stmt(left, self._with(frame, in_condition=True))
        cond = tuple(e.seq for e in self.trace[start:])
        want = op == "&&"
        if status is None:
            polarity = want != _negated(left)
            sub = self._with(frame, guards=(*frame.guards, Guard(cond, polarity)), conditional=True)
            self._stmt(right, sub)
            return None
        if status == want:
            return self._stmt(right, frame)
        return status

    def _pipeline(self, node: Node, frame: _Frame, background: bool) -> Status:
        status: Status = None
        stdin: str | None = None
        for child in node.named_children:
            before = len(self.trace)
            status = self._stmt(child, frame, background=background, stdin=stdin)
            produced = self.trace[before] if len(self.trace) > before else None
            stdin = None
            if produced is not None and produced.argv and produced.argv[0] in ("echo", "printf"):
                stdin = " ".join(produced.argv[1:])
        return status

    def _if(self, node: Node, frame: _Frame) -> Status:
        cond_nodes = [
            c
            for i, c in enumerate(node.children)
            if node.field_name_for_child(i) == "condition" and c.is_named
        ]
        start = len(self.trace)
        status: Status = True
        for cond in cond_nodes:
            status = self._stmt(cond, self._with(frame, in_condition=True))
        seqs = tuple(e.seq for e in self.trace[start:])
        flip = bool(cond_nodes) and _negated(cond_nodes[-1])
        then_body = [
            c
            for i, c in enumerate(node.children)
            if c.is_named
            and node.field_name_for_child(i) is None
            and c.type not in ("elif_clause", "else_clause", "comment")
        ]
        rest = [c for c in node.children if c.type in ("elif_clause", "else_clause")]
        if status is True or status is None:
            sub = (
                frame
                if status
                else self._with(
                    frame, guards=(*frame.guards, Guard(seqs, not flip)), conditional=True
                )
            )
            for stmt in then_body:
                self._stmt(stmt, sub)
        if status is False or status is None:
            sub = (
                frame
                if status is False
                else self._with(frame, guards=(*frame.guards, Guard(seqs, flip)), conditional=True)
            )
            self._else_chain(rest, sub)
        return None if status is None else True

    def _else_chain(self, clauses: list[Node], frame: _Frame) -> None:
        if not clauses:
            return
        clause = clauses[0]
        if clause.type == "else_clause":
            self._block(clause, frame)
            return
        named = [c for c in clause.named_children if c.type != "comment"]
        if not named:
            return
        start = len(self.trace)
        status = self._stmt(named[0], self._with(frame, in_condition=True))
        seqs = tuple(e.seq for e in self.trace[start:])
        flip = _negated(named[0])
        if status is not False:
            sub = (
                frame
                if status
                else self._with(
                    frame, guards=(*frame.guards, Guard(seqs, not flip)), conditional=True
                )
            )
            for stmt in named[1:]:
                self._stmt(stmt, sub)
        if status is not True:
            sub = (
                frame
                if status is False
                else self._with(frame, guards=(*frame.guards, Guard(seqs, flip)), conditional=True)
            )
            self._else_chain(clauses[1:], sub)

    def _case(self, node: Node, frame: _Frame) -> Status:
        value_node = node.child_by_field_name("value")
        value = self._single(value_node, frame) if value_node is not None else _Word("", False)
        items = [c for c in node.named_children if c.type == "case_item"]
        for item in items:
            patterns = [
                self._single(c, frame)
                for i, c in enumerate(item.children)
                if item.field_name_for_child(i) == "value"
            ]
            body = [
                c
                for i, c in enumerate(item.children)
                if c.is_named and item.field_name_for_child(i) is None and c.type != "comment"
            ]
            if value.known and all(p.known for p in patterns):
                if any(fnmatch.fnmatchcase(value.text, p.text) for p in patterns):
                    for stmt in body:
                        self._stmt(stmt, frame)
                    return True
                continue
            sub = self._with(frame, guards=(*frame.guards, Guard((), True)), conditional=True)
            for stmt in body:
                self._stmt(stmt, sub)
        return None if not value.known else True

    def _for(self, node: Node, frame: _Frame) -> Status:
        var_node = node.child_by_field_name("variable")
        body = node.child_by_field_name("body")
        if var_node is None or body is None:
            return None
        name = (var_node.text or b"").decode()
        values_nodes = [
            c for i, c in enumerate(node.children) if node.field_name_for_child(i) == "value"
        ]
        words: list[_Word] = []
        if values_nodes:
            for value_node in values_nodes:
                words.extend(self._expand(value_node, frame))
        else:
            words = [_Word(a, True) for a in frame.args]
        for word in words[:512]:
            frame.env[name] = word.text if word.known else None
            self._stmt(body, frame)
        return True

    def _loop(self, node: Node, frame: _Frame) -> Status:
        sub = self._with(frame, guards=(*frame.guards, Guard((), True)), conditional=True)
        cond = node.child_by_field_name("condition")
        if cond is not None:
            self._stmt(cond, self._with(sub, in_condition=True))
        body = node.child_by_field_name("body")
        if body is not None:
            self._stmt(body, sub)
        return None

    def _assign(self, node: Node, frame: _Frame) -> None:
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        if name_node is None:
            return
        name = (name_node.text or b"").decode()
        if value_node is None:
            frame.env[name] = ""
            return
        word = self._single(value_node, frame)
        frame.env[name] = word.text if word.known else None

    # ----------------------------------------------------------------- commands
    def _command(
        self,
        node: Node,
        frame: _Frame,
        background: bool,
        redirects: tuple[tuple[str, str], ...],
        stdin: str | None,
    ) -> Status:
        env_overrides: dict[str, str | None] = {}
        words: list[_Word] = []
        for index, child in enumerate(node.children):
            fname = node.field_name_for_child(index)
            if child.type == "variable_assignment" and not words:
                name_node = child.child_by_field_name("name")
                value_node = child.child_by_field_name("value")
                if name_node is not None:
                    word = self._single(value_node, frame) if value_node else _Word("", True)
                    env_overrides[(name_node.text or b"").decode()] = (
                        word.text if word.known else None
                    )
            elif fname == "name":
                for sub in child.named_children:
                    words.extend(self._expand(sub, frame))
            elif fname == "argument":
                words.extend(self._expand(child, frame))
            elif child.type == "file_redirect":
                dest = child.child_by_field_name("destination")
                op = next((c.type for c in child.children if not c.is_named), ">")
                if dest is not None:
                    redirects = (*redirects, (op, self._single(dest, frame).text))
        if not words:
            frame.env.update(env_overrides)
            return True
        argv = [w.text for w in words]
        exec_ = self._record(
            node,
            frame,
            argv,
            any(not w.known for w in words),
            background=background,
            redirects=redirects,
            stdin=stdin,
        )
        return self._dispatch(exec_, words, frame, env_overrides)

    def _record(
        self,
        node: Node,
        frame: _Frame,
        argv: list[str],
        unresolved: bool,
        *,
        background: bool = False,
        redirects: tuple[tuple[str, str], ...] = (),
        stdin: str | None = None,
    ) -> Exec:
        """Trace a command the script runs at ``node``, with the state it runs in."""
        return self._trace_exec(
            frame,
            argv,
            node.start_point[0] + 1,
            (node.text or b"").decode("utf-8", "replace").strip(),
            unresolved=unresolved,
            background=background,
            in_condition=frame.in_condition,
            substitution=frame.substitution,
            redirects=redirects,
            stdin=stdin,
            set_e=frame.set_e,
        )

    def _trace_exec(
        self, frame: _Frame, argv: list[str], line: int, text: str, **state: Any
    ) -> Exec:
        """Append a command reached in ``frame`` to the trace: where it stands and the guards it
        runs under come from the frame, the evidence text is capped; ``state`` holds the other
        :class:`Exec` fields."""
        exec_ = Exec(
            seq=len(self.trace),
            argv=argv,
            path=frame.path,
            invoked_as=frame.invoked_as,
            line=line,
            text=text[:400],
            chain=frame.chain,
            guards=frame.guards,
            conditional=frame.conditional,
            function=frame.function,
            **state,
        )
        self.trace.append(exec_)
        return exec_

    def _dispatch(
        self, ex: Exec, words: list[_Word], frame: _Frame, env_overrides: dict[str, str | None]
    ) -> Status:
        name = ex.argv[0]
        args = ex.argv[1:]
        if name in (":", "true"):
            ex.builtin = True
            return True
        if name == "false":
            ex.builtin = True
            return False
        if name in ("[", "test"):
            ex.builtin = True
            return self._eval_test([w for w in words[1:] if not (name == "[" and w.text == "]")])
        if name in ("exit", "return"):
            ex.builtin = True
            if len(frame.guards) <= frame.guard_base and not frame.in_condition:
                raise _Exit() if name == "exit" else _Return()
            return None
        if name == "set":
            ex.builtin = True
            for arg in args:
                if arg.startswith("-") and "e" in arg[1:]:
                    frame.set_e = True
                elif arg.startswith("+") and "e" in arg[1:]:
                    frame.set_e = False
            return True
        if name in (".", "source"):
            ex.builtin = True
            return self._source(args, frame, ex)
        if name in (
            "export",
            "local",
            "readonly",
            "shift",
            "cd",
            "echo",
            "printf",
            "umask",
            "trap",
            "wait",
            "sleep",
            "ulimit",
            "alias",
            "read",
        ):
            ex.builtin = name not in ("sleep",)
            if name == "shift" and frame.args:
                frame.args = frame.args[1:]
            if name == "read":
                for var in args:
                    if not var.startswith("-"):
                        frame.env[var] = None
            return None if name == "read" else True
        if name == "eval":
            ex.builtin = True
            text = " ".join(args)
            tree = parse(text.encode())
            self._block(tree.root_node, self._with(frame, conditional=True))
            return None
        if frame.rc_common or frame.procd_instance is not None:
            handled = self._openwrt_builtin(ex, frame)
            if handled is not None:
                return handled[0]
        if name in frame.functions:
            ex.builtin = True
            return self._call(name, args, frame)
        return self._external(ex, frame, env_overrides)

    def _source(self, args: list[str], frame: _Frame, ex: Exec) -> Status:
        if not args:
            return None
        target = self.root.resolve(args[0]) if args[0].startswith("/") else None
        loaded = self._load(target) if target else None
        if target is None or loaded is None or frame.depth >= self.max_depth:
            return None
        source, tree = loaded
        sub = self._with(
            frame,
            path=target,
            invoked_as=args[0],
            source=source,
            chain=(*frame.chain, f"{ex.path}:{ex.line}"),
            depth=frame.depth + 1,
        )
        with contextlib.suppress(_Return):
            self._block(tree.root_node, sub)
        frame.set_e = sub.set_e
        return True

    def _call(self, name: str, args: list[str], frame: _Frame) -> Status:
        body, defined_in = frame.functions[name]
        self._called.add((defined_in.path, name))
        if frame.depth >= self.max_depth:
            return None
        sub = self._with(
            frame,
            args=list(args),
            function=name,
            depth=frame.depth + 1,
            path=defined_in.path,
            invoked_as=defined_in.invoked_as,
            source=defined_in.source,
            guard_base=len(frame.guards),
        )
        try:
            status = self._stmt(body, sub)
        except _Return:
            status = None
        frame.set_e = sub.set_e
        frame.procd_instance = sub.procd_instance
        frame.procd_line = sub.procd_line
        frame.procd_guards = sub.procd_guards
        return status

    def _external(self, ex: Exec, frame: _Frame, env_overrides: dict[str, str | None]) -> Status:
        if not self.follow or frame.depth >= self.max_depth:
            return None
        if self.hook is not None and self.hook(ex):
            ex.followed = True
            return None
        argv = ex.argv
        # "sh script args" and "sh -c 'command'" run shell code too
        if posixpath.basename(argv[0]) in self._interpreters and len(argv) > 1:
            if argv[1] == "-c" and len(argv) > 2:
                self.run_text(argv[2], path=ex.path, line=ex.line, chain=ex.chain)
                return None
            if not argv[1].startswith("-"):
                argv = argv[1:]
            else:
                return None
        program = self.which(argv[0], frame.env.get("PATH"))
        if program is None or not self.is_script(program):
            return None
        ex.followed = True
        env = {k: v for k, v in frame.env.items() if k == "PATH"}
        env.update(env_overrides)
        invoked = argv[0] if argv[0].startswith("/") else program
        self.run_file(
            program,
            argv[1:],
            chain=(*frame.chain, f"{ex.path}:{ex.line}"),
            invoked_as=invoked,
            env=env,
            guards=frame.guards,
            conditional=frame.conditional,
            depth=frame.depth + 1,
        )
        return None

    def which(self, name: str, path_var: str | None = None) -> str | None:
        """The inner path ``name`` runs (PATH search for bare names), unresolved links kept."""
        if not name:
            return None
        if "/" in name:
            candidate = name if name.startswith("/") else "/" + name
            return candidate if self.root.exists(candidate) else None
        for directory in (path_var or self._default_path).split(":"):
            if not directory.startswith("/"):
                continue
            candidate = posixpath.join(directory, name)
            entry = self.root.entry(candidate)
            if entry is not None and entry.is_file:
                return candidate
        return None

    # ----------------------------------------------------------------- OpenWrt rc.common / procd
    def _rc_common_action(self, frame: _Frame) -> None:
        action = frame.args[0] if frame.args else "start"
        chain = (*frame.chain, f"{frame.path}:rc.common")
        sub = self._with(frame, chain=chain, args=frame.args[1:])
        if action == "boot" and "boot" in frame.functions:
            self._call("boot", [], sub)
            return
        if action in ("boot", "start"):
            self._rc_start(sub)

    def _rc_start(self, frame: _Frame) -> None:
        if frame.env.get("USE_PROCD") and "start_service" in frame.functions:
            self._call("start_service", [], frame)
            self._procd_close(frame)
        elif "start" in frame.functions:
            self._call("start", [], frame)

    def _openwrt_builtin(self, ex: Exec, frame: _Frame) -> tuple[Status] | None:
        name, args = ex.argv[0], ex.argv[1:]
        if name == "start" and frame.rc_common and "start" not in frame.functions:
            ex.builtin = True
            self._rc_start(frame)
            return (None,)
        if name == "procd_open_instance":
            ex.builtin = True
            self._procd_close(frame)
            frame.procd_instance = []
            return (True,)
        if name in ("procd_set_param", "procd_append_param") and args and args[0] == "command":
            ex.builtin = True
            if frame.procd_instance is None or name == "procd_set_param":
                frame.procd_instance = []
                frame.procd_line = ex.line
                frame.procd_guards = len(frame.guards)
            if len(frame.guards) <= frame.procd_guards:
                # an option appended only under an undecidable condition is left out: the
                # daemon's default applies, which is the conservative reading
                frame.procd_instance.extend(args[1:])
            return (True,)
        if name == "procd_close_instance":
            ex.builtin = True
            self._procd_close(frame)
            return (True,)
        if name == "config_load" and args:
            ex.builtin = True
            frame.uci = {args[0]: self._uci_of(args[0])}
            return (True,)
        if name in ("config_get", "config_get_bool") and len(args) >= 3:
            ex.builtin = True
            value = self._uci_value(frame, args[1], args[2])
            if value is None and len(args) > 3:
                value = args[3]
            if name == "config_get_bool" and value is not None:
                value = "1" if value.lower() in _UCI_TRUE else "0"
            frame.env[args[0]] = value
            return (True,)
        if name == "config_foreach" and args and args[0] in frame.functions:
            ex.builtin = True
            section_type = args[1] if len(args) > 1 else None
            for package in frame.uci.values():
                for kind, section, _ in package:
                    if section_type is None or kind == section_type:
                        self._call(args[0], [section, *args[2:]], frame)
            return (True,)
        if name == "uci_load_validate" and len(args) >= 4:
            ex.builtin = True
            uci_sections = self._uci_of(args[0])
            options = next((o for _, n, o in uci_sections if n == args[2]), {})
            for spec in args[4:]:
                parts = spec.split(":", 2)
                if parts[0]:
                    default = parts[2] if len(parts) > 2 else None
                    value = options.get(parts[0], default)
                    if len(parts) > 1 and parts[1] == "bool" and value is not None:
                        value = "1" if value.lower() in _UCI_TRUE else "0"
                    frame.env[parts[0]] = value
            callback = args[3]
            if callback in frame.functions:
                self._call(callback, [args[2], "0"], frame)
            return (True,)
        return None

    def _procd_close(self, frame: _Frame) -> None:
        if frame.procd_instance:
            argv = list(frame.procd_instance)
            text = "procd_set_param command " + " ".join(argv)
            self._trace_exec(frame, argv, frame.procd_line, text, unresolved=False, procd=True)
        frame.procd_instance = None

    def _uci_of(self, package: str) -> list[tuple[str, str, dict[str, str]]]:
        if package not in self._uci:
            self._uci[package] = read_uci(self.root, package)
        return self._uci[package]

    @staticmethod
    def _uci_value(frame: _Frame, section: str, option: str) -> str | None:
        for sections in frame.uci.values():
            for _kind, name, options in sections:
                if name == section and option in options:
                    return options[option]
        return None

    # ----------------------------------------------------------------- test / [
    def _test_command(self, node: Node, frame: _Frame) -> Status:
        tokens: list[_Word] = []
        self._flatten_test(node, frame, tokens)
        argv = ["[", *(t.text for t in tokens), "]"]
        ex = self._record(node, frame, argv, any(not t.known for t in tokens))
        ex.builtin = True
        return self._eval_test(tokens)

    def _flatten_test(self, node: Node, frame: _Frame, out: list[_Word]) -> None:
        for child in node.children:
            if child.type in ("[", "]", "[[", "]]"):
                continue
            if child.type in _WORDISH or child.type == "variable_name":
                if child.type == "variable_name":  # bare name inside [[ ]] arithmetic
                    out.append(_Word((child.text or b"").decode(), True))
                else:
                    out.append(self._single(child, frame))
            elif child.type == "test_operator" or not child.is_named:
                out.append(_Word((child.text or b"").decode(), True))
            else:
                self._flatten_test(child, frame, out)

    def _eval_test(self, tokens: list[_Word]) -> Status:
        try:
            status, rest = self._test_or(tokens)
        except IndexError:
            return None
        return status if not rest else None

    def _test_or(self, tokens: list[_Word]) -> tuple[Status, list[_Word]]:
        left, rest = self._test_and(tokens)
        while rest and rest[0].text in ("-o", "||"):
            right, rest = self._test_and(rest[1:])
            left = True if (left or right) else (None if None in (left, right) else False)
        return left, rest

    def _test_and(self, tokens: list[_Word]) -> tuple[Status, list[_Word]]:
        left, rest = self._test_not(tokens)
        while rest and rest[0].text in ("-a", "&&"):
            right, rest = self._test_not(rest[1:])
            left = (
                False
                if (left is False or right is False)
                else (None if None in (left, right) else True)
            )
        return left, rest

    def _test_not(self, tokens: list[_Word]) -> tuple[Status, list[_Word]]:
        if tokens and tokens[0].text == "!" and len(tokens) > 1:
            status, rest = self._test_not(tokens[1:])
            return (None if status is None else not status), rest
        if tokens and tokens[0].text == "(":
            status, rest = self._test_or(tokens[1:])
            return status, rest[1:] if rest and rest[0].text == ")" else rest
        return self._test_primary(tokens)

    def _test_primary(self, tokens: list[_Word]) -> tuple[Status, list[_Word]]:
        if not tokens:
            return False, []
        binary = ("=", "==", "!=", "<", ">", "-eq", "-ne", "-gt", "-ge", "-lt", "-le", "=~")
        if len(tokens) >= 3 and tokens[1].text in binary:
            a, op, b = tokens[0], tokens[1].text, tokens[2]
            return self._binary(a, op, b), tokens[3:]
        first = tokens[0].text
        if len(tokens) >= 2 and re.fullmatch(r"-[a-zA-Z]", first) and first != "-a":
            return self._unary(first, tokens[1]), tokens[2:]
        word = tokens[0]
        return (bool(word.text) if word.known else None), tokens[1:]

    @staticmethod
    def _binary(a: _Word, op: str, b: _Word) -> Status:
        if not (a.known and b.known):
            return None
        if op in ("=", "=="):
            return fnmatch.fnmatchcase(a.text, b.text)
        if op == "!=":
            return not fnmatch.fnmatchcase(a.text, b.text)
        if op in ("<", ">"):
            return a.text < b.text if op == "<" else a.text > b.text
        if op == "=~":
            return None
        try:
            x, y = int(a.text), int(b.text)
        except ValueError:
            return None
        return {
            "-eq": x == y,
            "-ne": x != y,
            "-gt": x > y,
            "-ge": x >= y,
            "-lt": x < y,
            "-le": x <= y,
        }[op]

    def _unary(self, op: str, word: _Word) -> Status:
        if not word.known:
            return None
        if op == "-n":
            return bool(word.text)
        if op == "-z":
            return not word.text
        path = word.text
        if not path.startswith("/") or path.startswith(_RUNTIME_PREFIXES):
            return None  # relative or runtime state: unknown before the device runs
        entry = self.root.entry(path)
        if op in ("-h", "-L"):
            raw = self.root.entry(path, follow=False)
            return raw is not None and raw.is_link
        if entry is None:
            return False
        if op == "-e":
            return True
        if op == "-f":
            return entry.is_file
        if op == "-d":
            return entry.is_dir
        if op == "-x":
            # unpackers do not always keep permission bits (cpio, jffs2): a missing x bit is
            # "unknown", not "false"
            return True if (entry.mode & 0o111 or entry.is_dir) else None
        if op == "-s":
            return entry.size > 0
        if op in ("-r", "-w"):
            return True
        return None

    # ----------------------------------------------------------------- word expansion
    def _single(self, node: Node | None, frame: _Frame) -> _Word:
        """Expansion of ``node`` without field splitting (assignments, case values, tests)."""
        if node is None:
            return _Word("", True)
        words = self._expand(node, frame, split=False)
        if not words:
            return _Word("", True)
        return _Word(" ".join(w.text for w in words), all(w.known for w in words))

    def _expand(self, node: Node, frame: _Frame, split: bool = True) -> list[_Word]:
        kind = node.type
        raw = (node.text or b"").decode("utf-8", "replace")
        if kind in ("word", "extglob_pattern", "regex", "number"):
            text = re.sub(r"\\(.)", r"\1", raw) if kind == "word" else raw
            if split and kind == "word" and _GLOB_CHARS.search(text) and text.startswith("/"):
                matches = self.glob(text)
                if matches:
                    return [_Word(m, True) for m in matches]
            return [_Word(text, True)]
        if kind == "raw_string":
            return [_Word(raw[1:-1], True)]
        if kind == "ansi_c_string":
            return [_Word(raw[2:-1].encode().decode("unicode_escape", "replace"), True)]
        if kind in ("string", "translated_string"):
            return self._string(node, frame)
        if kind == "simple_expansion":
            return self._variable(node, frame, split)
        if kind == "expansion":
            word = self._parameter(node, frame)
            if split and word.known:
                return [_Word(w, True) for w in word.text.split()]
            return [word]
        if kind == "command_substitution":
            return [self._substitution(node, frame)]
        if kind == "concatenation":
            parts = [self._single(c, frame) for c in node.named_children]
            text = self._join_concat(node, parts)
            known = all(p.known for p in parts)
            if split and known and _GLOB_CHARS.search(text) and text.startswith("/"):
                matches = self.glob(text)
                if matches:
                    return [_Word(m, True) for m in matches]
            return [_Word(text, known)]
        return [_Word(raw, False)]

    @staticmethod
    def _join_concat(node: Node, parts: list[_Word]) -> str:
        # unnamed pieces (e.g. a lone "$" or "=") sit between named children in the source
        out: list[str] = []
        named = iter(parts)
        for child in node.children:
            if child.is_named:
                out.append(next(named).text)
            else:
                out.append((child.text or b"").decode("utf-8", "replace"))
        return "".join(out)

    def _string(self, node: Node, frame: _Frame) -> list[_Word]:
        named = node.named_children
        if len(named) == 1 and named[0].type == "simple_expansion":
            var = (named[0].text or b"").decode()
            if var in ("$@", "$*") and (node.text or b"").decode() == f'"{var}"':
                if var == "$@":
                    return [_Word(a, True) for a in frame.args]
                return [_Word(" ".join(frame.args), True)]
        source = node.text or b""
        base = node.start_byte
        out: list[str] = []
        known = True
        cursor = base + 1
        end = node.end_byte - 1
        for child in named:
            if child.type == "string_content":
                continue
            out.append(self._unescape_dq(source[cursor - base : child.start_byte - base]))
            word = self._single(child, frame)
            known = known and word.known
            out.append(word.text)
            cursor = child.end_byte
        out.append(self._unescape_dq(source[cursor - base : end - base]))
        return [_Word("".join(out), known)]

    @staticmethod
    def _unescape_dq(data: bytes) -> str:
        return re.sub(r'\\([$`"\\\n])', r"\1", data.decode("utf-8", "replace"))

    def _variable(self, node: Node, frame: _Frame, split: bool) -> list[_Word]:
        raw = (node.text or b"").decode()
        name = raw[1:]
        if name in ("@", "*"):
            return (
                [_Word(a, True) for a in frame.args]
                if split
                else [_Word(" ".join(frame.args), True)]
            )
        value = self._lookup(name, frame)
        if value is None:
            return [_Word(raw, False)]
        if split:
            return [_Word(w, True) for w in value.split()]
        return [_Word(value, True)]

    def _lookup(self, name: str, frame: _Frame) -> str | None:
        if name.isdigit():
            index = int(name)
            if index == 0:
                return frame.invoked_as
            return frame.args[index - 1] if index <= len(frame.args) else ""
        if name == "#":
            return str(len(frame.args))
        if name in ("?", "$", "!", "-", "_"):
            return None
        if name in frame.env:
            return frame.env[name]
        return ""

    def _parameter(self, node: Node, frame: _Frame) -> _Word:
        raw = (node.text or b"").decode("utf-8", "replace")
        children = node.children
        names = [c for c in children if c.type in ("variable_name", "special_variable_name")]
        if not names:
            return _Word(raw, False)
        name_node = names[0]
        name = (name_node.text or b"").decode()
        ops = [c for i, c in enumerate(children) if node.field_name_for_child(i) == "operator"]
        length = bool(ops) and ops[0].end_byte <= name_node.start_byte and ops[0].type == "#"
        value = self._lookup(name, frame)
        if length:
            return _Word(str(len(value)), True) if value is not None else _Word(raw, False)
        op_nodes = [o for o in ops if o.start_byte >= name_node.end_byte]
        if not op_nodes:
            return _Word(value, True) if value is not None else _Word(raw, False)
        op = op_nodes[0].type
        operand_nodes = [c for c in children if c.is_named and c.start_byte >= op_nodes[0].end_byte]
        operand = _Word("", True)
        if operand_nodes:
            parts = [self._single(c, frame) for c in operand_nodes]
            operand = _Word("".join(p.text for p in parts), all(p.known for p in parts))
        return self._apply_parameter_op(name, value, op, operand, raw, frame)

    @staticmethod
    def _apply_parameter_op(
        name: str, value: str | None, op: str, operand: _Word, raw: str, frame: _Frame
    ) -> _Word:
        if op in (":-", "-", ":=", "="):
            empty_counts = op.startswith(":")
            if value is None:
                return _Word(raw, False)
            unset = name not in frame.env and not name.isdigit()
            if unset or (empty_counts and value == ""):
                if op in (":=", "=") and operand.known:
                    frame.env[name] = operand.text
                return operand
            return _Word(value, True)
        if op in (":+", "+"):
            if value is None:
                return _Word(raw, False)
            return operand if value else _Word("", True)
        if op in ("#", "##", "%", "%%"):
            if value is None or not operand.known:
                return _Word(raw, False)
            return _Word(_strip_pattern(value, operand.text, op), True)
        if op in (":?", "?"):
            return _Word(value, True) if value is not None else _Word(raw, False)
        return _Word(raw, False)

    def _substitution(self, node: Node, frame: _Frame) -> _Word:
        raw = (node.text or b"").decode("utf-8", "replace")
        start = len(self.trace)
        sub = self._with(frame, substitution=True)
        try:
            for child in node.named_children:
                self._stmt(child, sub)
        except (_Exit, _Return):
            pass
        produced = self.trace[start:]
        if len(produced) == 1 and not produced[0].unresolved:
            value = self._known_output(produced[0].argv, frame)
            if value is not None:
                return _Word(value, True)
        return _Word(raw, False)

    def _known_output(self, argv: list[str], frame: _Frame) -> str | None:
        """Output of the few commands whose result the image itself determines."""
        name, args = argv[0], argv[1:]
        if name == "echo":
            return " ".join(a for a in args if a not in ("-n", "-e"))
        if (
            name == "cat"
            and len(args) == 1
            and args[0].startswith("/")
            and not args[0].startswith(_RUNTIME_PREFIXES)
        ):
            text = self.root.read_text(args[0], 4096)
            return text.strip() if text is not None else None
        if name == "basename" and args:
            base = posixpath.basename(args[0].rstrip("/"))
            return base[: -len(args[1])] if len(args) > 1 and base.endswith(args[1]) else base
        if name == "dirname" and args:
            return posixpath.dirname(args[0].rstrip("/")) or "/"
        if name == "uci":
            rest = [a for a in args if not a.startswith("-")]
            if len(rest) == 2 and rest[0] == "get":
                return self._uci_get(rest[1])
        return None

    def _uci_get(self, spec: str) -> str | None:
        parts = spec.split(".")
        if len(parts) != 3:
            return None
        package, section, option = parts
        for _kind, name, options in self._uci_of(package):
            if name == section or (section.startswith("@") and name == section):
                return options.get(option)
        return None

    def glob(self, pattern: str) -> list[str]:
        """Paths of the tree matching an absolute shell glob (sorted, like the shell)."""
        parts = [p for p in pattern.split("/") if p]
        current = ["/"]
        for part in parts:
            following: list[str] = []
            for base in current:
                if _GLOB_CHARS.search(part):
                    for child in self.root.listdir(base):
                        name = child.rsplit("/", 1)[-1]
                        if fnmatch.fnmatchcase(name, part) and not (
                            name.startswith(".") and not part.startswith(".")
                        ):
                            following.append(posixpath.join(base, name))
                else:
                    candidate = posixpath.join(base, part)
                    if self.root.entry(candidate, follow=False) is not None:
                        following.append(candidate)
            current = following
            if not current:
                return []
        return sorted(current)


def _negated(node: Node) -> bool:
    """True if a condition is "! command" (also under redirections), so guards refer to the
    commands' own success."""
    while node.type == "redirected_statement":
        body = node.child_by_field_name("body")
        if body is None:
            return False
        node = body
    return node.type == "negated_command"


def _strip_pattern(value: str, pattern: str, op: str) -> str:
    indices = range(len(value) + 1)
    if op in ("#", "##"):
        order = indices if op == "#" else reversed(indices)
        for i in order:
            if fnmatch.fnmatchcase(value[:i], pattern):
                return value[i:]
        return value
    order = reversed(indices) if op == "%" else indices
    for i in order:
        if fnmatch.fnmatchcase(value[i:], pattern):
            return value[:i]
    return value
