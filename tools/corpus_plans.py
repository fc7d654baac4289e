"""Measure planner on the real corpus: adopt each paired design minimally, plan it, print the figures.

For every design in ../shared/corpus that has a paired plan (pairs.json), the edit a team makes when it
adopts the template by hand is made in memory: '**Status:** Approved' (the header field replaced, or added
under the title) and an '## Affected Repositories' section at the end ticking every repo the paired plans
name. Nothing is renamed and nothing else is added. The design is then planned with the team's config
(flovyn-repos.toml) and these figures are printed:

- designs planned (no error), checked repos with at least one task;
- recall of REST endpoints (METHOD and path, parameters normalised), gRPC methods and SQL tables that both
  the design (outside context sections) and its real plan name, found in the planner's plan;
- tracebacks, and false parse errors (rest-path / grpc-syntax) over every corpus design.

Usage: python tools/corpus_plans.py [--corpus ../shared/corpus] [--verbose]. Exit 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from planner.config import Config, load_config
from planner.design import parse_design
from planner.design.context import is_context_heading
from planner.plan import Plan, build_plan

_PARSE_CODES = {"rest-path", "grpc-syntax"}
_METHODS = "GET|POST|PUT|PATCH|DELETE"
_REST = re.compile(rf"\b({_METHODS})\s+`?(/[^\s`'\"|,)]*)")
_RPC = re.compile(r"\brpc\s+([A-Z]\w*)\s*\(")
_TABLE = re.compile(
    r"\b(?:create\s+table|alter\s+table|drop\s+table|create\s+(?:unique\s+)?index\b[^;]*?\bon)"
    r"\s+(?:if\s+(?:not\s+)?exists\s+)?(?:only\s+)?([A-Za-z_][\w.\"]*)",
    re.IGNORECASE,
)
_PARAM = re.compile(r"\{[^}/]*\}|:[A-Za-z_]\w*|<[^>/]*>|\$\{[^}]*\}")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_STATUS_FIELD = re.compile(r"^\s*[*_]*status[*_]*\s*:[*_]*\s*.*$", re.IGNORECASE)


def rest_key(method: str, path: str) -> str:
    """'GET /api/x/{id}/?q=1' and 'GET /api/x/:xId' are one endpoint: 'GET /api/x/{}'."""
    path = path.split("?", 1)[0].split("#", 1)[0].rstrip(".:;")
    path = _PARAM.sub("{}", path).rstrip("/") or "/"
    return f"{method} {path.lower()}"


def names(text: str) -> dict[str, set[str]]:
    """The REST endpoints, gRPC methods and SQL tables a design states (API lines and DDL)."""
    return {
        "rest": {rest_key(m, p) for m, p in _REST.findall(text)},
        "grpc": set(_RPC.findall(text)),
        "sql": {t.strip('"').split(".")[-1].lower() for t in _TABLE.findall(text)},
    }


def plan_names(plan_text: str, stated: dict[str, set[str]]) -> dict[str, set[str]]:
    """What a real plan names: its own API lines and DDL, plus stated methods and tables it mentions.

    Plans name a method in prose ('add the `SignalWorkflow` RPC') and a table in code (`agent_entry`).
    """
    found = names(plan_text)
    words = set(re.findall(r"\w+", plan_text))
    spans = {s.strip().lower() for s in re.findall(r"`([^`\n]+)`", plan_text)}
    found["grpc"] |= {m for m in stated["grpc"] if m in words}
    found["sql"] |= {t for t in stated["sql"] if t in spans}
    return found


def outside_context(text: str) -> str:
    """The design's lines that are not under a context heading (at any level above them)."""
    kept: list[str] = []
    stack: list[tuple[int, bool]] = []  # (level, context) of the open headings
    fence: str | None = None
    for line in text.split("\n"):
        f = _FENCE.match(line)
        if f and (fence is None or f.group(1)[0] == fence[0]):
            fence = None if fence else f.group(1)
        heading = None if fence or f else _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, is_context_heading(heading.group(2))))
        if not any(context for _, context in stack):
            kept.append(line)
    return "\n".join(kept)


def repos_named(plan_text: str, config: Config) -> list[str]:
    """Config repos a real plan names: by name, or by an alias with a hyphen (bare words are too common)."""
    found: list[str] = []
    for name, repo in config.repos.items():
        spellings = [name, *(a for a in repo.aliases if "-" in a)]
        if name == "dev":
            spellings = ["dev/"]  # the word 'dev' is prose; its paths are not
        if any(re.search(rf"(?<![\w/-]){re.escape(s)}(?![\w-])", plan_text) for s in spellings):
            found.append(name)
    return found


def adopt(design: str, repos: Iterable[str]) -> str:
    """The minimal adoption edit: Status Approved, and Affected Repositories ticking `repos`."""
    lines = design.split("\n")
    first_sub = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    status = next((i for i in range(first_sub) if _STATUS_FIELD.match(lines[i])), None)
    if status is not None:
        lines[status] = "**Status:** Approved"
    else:
        title = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
        lines[title + 1 : title + 1] = ["", "**Status:** Approved", ""]
    text = "\n".join(lines).rstrip("\n")
    ticks = "".join(f"- [x] {name}\n" for name in repos)
    return f"{text}\n\n## Affected Repositories\n\n{ticks}"


def planned_names(plan: Plan) -> dict[str, set[str]]:
    """What the planner's plan names: endpoints, methods and tables it read and turned into tasks."""
    task_ids = {t.id for r in plan.repos for t in r.tasks}
    titles = " ".join(t.title for r in plan.repos for t in r.tasks)
    rest = {
        rest_key(e.method, e.path)
        for e in plan.context.endpoints
        if any(i.endswith(f":rest:{e.method}:{e.path}") for i in task_ids)
    }
    grpc = {r.name for r in plan.context.rpcs if any(i.endswith(f"{r.name}") and ":grpc:" in i for i in task_ids)}
    tables = {t.split(".")[-1].lower() for c in plan.context.database for t in c.tables if t in titles}
    return {"rest": rest, "grpc": grpc, "sql": tables}


@dataclass
class Figures:
    designs: int = 0
    planned: int = 0
    checked: int = 0
    with_task: int = 0
    tracebacks: int = 0
    parse_errors: int = 0
    expected: dict[str, int] = field(default_factory=lambda: {"rest": 0, "grpc": 0, "sql": 0})
    found: dict[str, int] = field(default_factory=lambda: {"rest": 0, "grpc": 0, "sql": 0})
    missed: list[str] = field(default_factory=list)


def measure(corpus: Path, config: Config, figures: Figures) -> None:
    pairs = json.loads((corpus / "pairs.json").read_text(encoding="utf-8"))
    plans_of: dict[str, list[str]] = {}
    for pair in pairs:
        plans_of.setdefault(pair["design"], []).append(pair["plan"])
    for design_name in sorted(plans_of):
        design = (corpus / "designs" / design_name).read_text(encoding="utf-8")
        plan_text = "\n".join((corpus / "plans" / p).read_text(encoding="utf-8") for p in plans_of[design_name])
        figures.designs += 1
        try:
            doc, problems = parse_design(adopt(design, repos_named(plan_text, config)), design_name)
            plan = build_plan(doc, config, problems)
        except Exception:
            figures.tracebacks += 1
            traceback.print_exc()
            continue
        figures.planned += plan.ok
        figures.checked += len(plan.repos)
        figures.with_task += sum(1 for r in plan.repos if r.tasks)
        stated, got = names(outside_context(design)), planned_names(plan)
        real = plan_names(plan_text, stated)
        for kind in ("rest", "grpc", "sql"):
            both = stated[kind] & real[kind]
            figures.expected[kind] += len(both)
            figures.found[kind] += len(both & got[kind])
            figures.missed += [f"{design_name}: {kind} {n}" for n in sorted(both - got[kind])]


def false_parse_errors(corpus: Path, figures: Figures) -> None:
    """API syntax errors on real designs (as written) are false: their authors' lines are prose or valid."""
    for path in sorted((corpus / "designs").glob("*.md")):
        try:
            _, problems = parse_design(path.read_text(encoding="utf-8"), path.name)
        except Exception:
            figures.tracebacks += 1
            traceback.print_exc()
            continue
        for d in problems:
            if d.code in _PARSE_CODES and d.severity.value == "error":
                figures.parse_errors += 1
                figures.missed.append(f"{path.name}:{d.line}: false {d.code}: {d.message}")


def _ratio(found: int, expected: int) -> str:
    return f"{found}/{expected} = {found / expected:.2f}" if expected else "0/0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", default="../shared/corpus", type=Path)
    parser.add_argument("--verbose", action="store_true", help="list what was missed")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    if not (corpus / "pairs.json").is_file():
        print(f"corpus: {corpus} is absent; nothing measured")
        return 0
    config, problems = load_config(corpus / "flovyn-repos.toml")
    if config is None:
        print("\n".join(d.format() for d in problems))
        return 0
    figures = Figures()
    measure(corpus, config, figures)
    false_parse_errors(corpus, figures)
    print(f"designs planned (no error): {figures.planned}/{figures.designs}")
    print(f"checked repos with a task:  {figures.with_task}/{figures.checked}")
    for kind, label in (("rest", "REST endpoints"), ("grpc", "gRPC methods"), ("sql", "SQL tables")):
        print(f"recall, {label + ':':16}{_ratio(figures.found[kind], figures.expected[kind])}")
    print(f"tracebacks:                 {figures.tracebacks}")
    print(f"false parse errors:         {figures.parse_errors}")
    if args.verbose:
        print("\n".join(figures.missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
