"""The plan a person works from: order, context, one phase per repo with its TODO list."""

from __future__ import annotations

import functools
import re
from urllib.parse import quote, unquote

from planner.files import GENERATED_MARKER
from planner.plan import Plan, RepoPlan, Task
from planner.render.mermaid import render as mermaid

__all__ = ["TASK_MARKER", "code", "decode_id", "encode_id", "inline", "render"]

# Every task line carries its id invisibly, so a regenerated plan can find the task again.
TASK_MARKER = re.compile(r"<!-- planner:id=(\S+) -->")

# `~` and `$` too: GitHub reads `~~~` as a fence (which would swallow the plan) and `~x~`, `$x$` as markup.
_SPECIAL = re.compile(r"([\\`*\[\]<>|!~$])")
_LINE_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])")
_ENTITY = re.compile(r"&(#?\w+;)")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# Anything one of the four rewrites above could touch (on text already joined to one line).
_MARKUP = re.compile(r"[\\`*\[\]<>|!&_~$]|^(?:[#+\-=>]|\d+[.)])")


# Characters quote() leaves alone (its always-safe set plus ours); a plain id also has no '--' anywhere.
# One character class, not an alternation with a lookahead: it runs once per task on big plans.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.~:/{}@+=,-]*\Z")


def encode_id(task_id: str) -> str:
    """A task id made safe inside an HTML comment: no spaces, no '>', and no '--', which ends or breaks a
    comment in CommonMark before 0.31 (GitHub's renderer)."""
    if "--" not in task_id and _PLAIN_ID.match(task_id):
        return task_id  # nothing to quote: the common case, and plans can have tens of thousands of ids
    return re.sub("-(?=-)", "%2D", quote(task_id, safe=":/{}._~@+=,"))


def decode_id(encoded: str) -> str:
    return unquote(encoded)


def inline(text: str) -> str:
    """Design text as inert Markdown: one line, with the characters that would become markup escaped."""
    text = " ".join(text.split())
    if _MARKUP.search(text) is None:
        return text  # the common case, and big plans have tens of thousands of lines
    return _escaped(text)


# Big plans repeat the same titles (every consumer of an API gets "Call GET /x"): escape each once.
@functools.lru_cache(maxsize=4096)
def _escaped(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    text = _ENTITY.sub(r"&amp;\1", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    return _LINE_START.sub(r"\1\\\2", text)


def code(text: str) -> str:
    """A code span that holds any text: a fence longer than the longest backtick run inside."""
    text = " ".join(text.split())
    if text and "`" not in text:
        return f"`{text}`"  # no backtick to outfence or pad against: nearly every file path
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0) if "`" in text else 0
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fenced(body: str, info: str = "") -> list[str]:
    longest = max((len(m) for m in re.findall(r"^\s*(`{3,}|~{3,})", body, re.MULTILINE)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", *body.rstrip("\n").split("\n"), fence]


def _task_lines(task: Task, number: str, numbers: dict[str, str], lines: list[str]) -> None:
    # Appends rather than returns: a big plan has tens of thousands of tasks, each list a cost.
    lines.append(f"- [ ] **{number}** {inline(task.title)} <!-- planner:id={encode_id(task.id)} -->")
    for f in task.files:
        lines.append(f"  File: {code(f)}")
    if task.depends_on:
        after = ", ".join(numbers[d] if d in numbers else code(d) for d in task.depends_on)
        lines.append(f"  After: {after}")


def _phase(index: int, repo: RepoPlan, numbers: dict[str, str], lines: list[str]) -> None:
    upstream = ", ".join(repo.depends_on) if repo.depends_on else "none"
    lines += [
        f"## Phase {index}: {inline(repo.name)}",
        "",
        f"{inline(repo.description)}",
        "",
        f"- Wave: {repo.wave}",
        f"- Language: {inline(repo.language)}",
        f"- After: {inline(upstream)}",
    ]
    if repo.change:
        lines.append(f"- Change: {inline(repo.change)}")
    lines += ["", "### Tasks", ""]
    if repo.tasks:
        for task in repo.tasks:
            _task_lines(task, numbers[task.id], numbers, lines)
    else:
        lines.append("No task follows from the design for this repo: see its change above.")
    if repo.verify:
        lines += ["", "### Verification", "", *_fenced("\n".join(repo.verify), "sh")]
    lines.append("")


def _context(plan: Plan) -> list[str]:
    ctx = plan.context
    lines: list[str] = []
    if ctx.endpoints or ctx.rpcs:
        lines += ["### API changes", ""]
        lines += [f"- {code(f'{e.method} {e.path}')} (line {e.line})" for e in ctx.endpoints]
        for r in ctx.rpcs:
            qualified = f"{r.service}.{r.name}" if r.service else r.name
            lines.append(f"- {code(f'rpc {qualified}({r.request}) returns ({r.response})')} (line {r.line})")
        lines.append("")
    if ctx.database:
        lines += ["### Database changes", ""]
        for c in ctx.database:
            # A CREATE TABLE's column list is shown as its columns; other statements stay whole.
            create = bool(c.columns) and c.text.lower().startswith("create table")
            head = c.text.split("(", 1)[0].strip() if create else c.text
            columns = f", columns {', '.join(code(col) for col in c.columns)}" if c.columns else ""
            lines.append(f"- {code(head)}{columns} (line {c.line})")
        lines.append("")
    if ctx.domain_types:
        lines += ["### Domain model", ""]
        lines += [f"- {code(t.name)} ({inline(t.language)}, line {t.line})" for t in ctx.domain_types]
        lines.append("")
    return ["## Context", "", *lines] if lines else []


def render(plan: Plan) -> str:
    design = plan.design
    numbers = {task.id: f"{i}.{j}" for i, repo in enumerate(plan.repos, 1) for j, task in enumerate(repo.tasks, 1)}
    lines = [
        GENERATED_MARKER,
        f"# Plan: {inline(design.feature)}",
        "",
        f"- Design: [{inline(design.path)}](<{quote(design.path, safe='/:@._~-')}>)",
        f"- Status: {inline(design.status or 'unknown')}",
    ]
    if design.date:
        lines.append(f"- Date: {inline(design.date)}")
    if design.branch:
        lines.append(f"- Branch: {code(design.branch)}")
    lines += ["", "## Order", "", *_fenced(mermaid(plan), "mermaid"), "", "| Wave | Repos |", "| --- | --- |"]
    lines += [f"| {i} | {', '.join(inline(name) for name in wave)} |" for i, wave in enumerate(plan.waves, 1)]
    lines.append("")
    if plan.critical_path:
        length = len(plan.critical_path)
        chain = " -> ".join(numbers.get(task_id) or code(task_id) for task_id in plan.critical_path)
        lines += [f"Critical path ({length} task{'s' if length != 1 else ''}): {chain}", ""]
    lines += _context(plan)
    for i, repo in enumerate(plan.repos, 1):
        _phase(i, repo, numbers, lines)
    notes = [d for d in plan.diagnostics if d.severity == "warning"]
    if notes:
        lines += ["## Warnings", ""]
        lines += [f"- line {d.line}: {inline(d.message)} ({d.code})" for d in notes]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
