"""Design and config text that tries to break what planner writes: Markdown/HTML, CSV formulas, Actions
commands, Mermaid/DOT syntax. Each is rendered inert, which is checked by parsing the output back."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import mistune
import pytest
from project import EXAMPLE_CONFIG
from typer.testing import CliRunner

from planner.ci.annotations import workflow_commands
from planner.ci.progress import REMOVED_HEADING, carry_over, read_progress
from planner.cli import app
from planner.config import Config, parse_config
from planner.diagnostics import error
from planner.files import GENERATED_MARKER
from planner.plan import Plan, plan_design
from planner.render import render
from planner.render.graph import render_graph
from planner.render.markdown import TASK_MARKER, code, decode_id, encode_id
from planner.trackers.github import issue_key, plan_issues
from planner.trackers.jira import render_csv

# What GitHub renders (GFM plus math), so anything design text could turn into structure is seen. Not the
# `url` plugin: a bare https://... in a title stays clickable on GitHub, which is text, not structure.
_PARSE = mistune.create_markdown(renderer="ast", plugins=["table", "strikethrough", "task_lists", "footnotes", "math"])

HOSTILE = [
    "-->",
    "<!--",
    "<!-- planner:id=flovyn-server:file:src/forged.rs -->",
    "<!-- planner:notes -->",
    "<script>alert(1)</script>",
    "<div>",
    "| a | b |",
    "cell | with | pipes",
    "`tick` and ``double`` and ```",
    "# Heading inside an item",
    "## Removed from the design",
    "- [x] not a task",
    "[x] done already",
    "1. ordered",
    "> quoted",
    "---",
    "===",
    "~~~",
    "~~strike~~ and ~single~",
    "$x^2$ and $$y$$",
    "*em* **strong** _under_ __dunder__",
    "[link](https://example.com) ![img](x.png) <https://example.com>",
    "[^note] footnote",
    "&lt;&#60;&amp;",
    "trailing backslash \\",
    "%0A::set-output name=x::y",
    "::error file=a.md,line=1::forged",
    '=HYPERLINK("http://x","y")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "flowchart TD; A-->B",
    'n0["x"] --> n1; click n0 call alert()',
    "]; style n0 fill:#f00",
    "digraph { a -> b }",
    '" ] ; a -> b [label="',
]


def _code(text: str) -> str:
    """Text as a Markdown code span in the design, so it reaches planner verbatim."""
    return code(text)


def design(hostile: str) -> str:
    """An approved design whose every free-text slot carries `hostile` (paths a clean-path variant)."""
    h = _code(hostile)
    # A key file path may hold anything but white space, backslashes and %xx: keep what is left.
    raw_path = re.sub(r"[\s\\%`]", "", hostile).strip("/.") or "x"
    path = "src/" + raw_path.replace("/", "_") + ".rs"
    api = "/api/" + re.sub(r"[\s`]", "", hostile).replace("/", "_")
    return "\n".join(
        [
            f"# {h} Design",
            "",
            "**Date:** " + h,
            "**Status:** Approved",
            "**Branch:** " + h,
            "",
            "## Proposed Solution",
            "",
            "### API Changes",
            "",
            "```",
            f"POST {api}",
            "```",
            "",
            "### Database Changes",
            "",
            f"- {h}",
            "",
            "### Affected Repositories",
            "",
            f"- [x] flovyn-server - {h}",
            f"- [x] flovyn-app - {h}",
            f"- {h}",
            "",
            "### Key Files",
            "",
            f"- ``flovyn-server/{path}`` - {h}",
            f"- `flovyn-app/src/page.tsx` - {h}",
            f"- `flovyn-server/src/plain.rs` - {h}",
            "",
        ]
    )


CONFIG_TOML = """version = 1

[repos.{server}]
description = {text}
language = {text}
depends_on = []
provides = ["rest", "database"]
verify = [{text}, "cargo test"]
aliases = ["flovyn-server"]

[repos.{server}.tracker]
github = "flovyn/flovyn-server"
jira = {text}
labels = [{text}]

[repos.{app}]
description = {text}
language = "typescript"
depends_on = [{server}]
consumes = ["rest"]
verify = [{text}]
aliases = ["flovyn-app"]

[repos.{app}.tracker]
github = "flovyn/flovyn-app"
labels = ["frontend"]
"""


def config_for(hostile: str) -> Config:
    """A config whose descriptions, commands and labels are hostile too.

    Repo names themselves are limited to a safe set (`config-repo-name`, see test_tracker_identity), so the
    names here are safe ones reached through aliases.
    """
    text = json.dumps(hostile, ensure_ascii=False)
    server = json.dumps("srv", ensure_ascii=False)
    app_name = json.dumps("app", ensure_ascii=False)
    toml = CONFIG_TOML.format(server=server, app=app_name, text=text)
    config, problems = parse_config(toml, "repos.toml")
    assert config is not None, problems
    return config


def plan_for(tmp_path: Path, text: str, config: Config) -> Plan:
    path = tmp_path / "design.md"
    path.write_text(text, encoding="utf-8")
    result = plan_design(path, config)
    assert result.ok, result.diagnostics
    return result


def skeleton(tokens: list[dict[str, Any]], depth: int = 0) -> list[tuple[Any, ...]]:
    """The structure of a Markdown AST: token kinds, heading levels, list and table shape; runs of text are one."""
    out: list[tuple[Any, ...]] = []
    for token in tokens:
        kind = token["type"]
        if kind == "blank_line":
            continue
        if kind in ("text", "softbreak") and out and out[-1] == (depth, "text"):
            continue
        attrs = token.get("attrs") or {}
        detail = tuple(sorted((k, str(v)) for k, v in attrs.items() if k in ("level", "ordered", "checked", "info")))
        out.append((depth, "text") if kind in ("text", "softbreak") else (depth, kind, detail))
        out += skeleton(token.get("children") or [], depth + 1)
    return out


def kinds(tokens: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for token in tokens:
        found.append(token["type"])
        found += kinds(token.get("children") or [])
    return found


BENIGN = "benign"


@pytest.fixture(scope="module")
def benign_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return plan_for(tmp_path_factory.mktemp("benign"), design(BENIGN), config_for(BENIGN))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_markdown_plan_structure_is_unchanged_by_hostile_text(tmp_path: Path, benign_plan: Plan, hostile: str) -> None:
    hostile_plan = plan_for(tmp_path, design(hostile), config_for(hostile))
    # The hostile text did reach the plan (else this would prove nothing).
    dumped = json.dumps(hostile_plan.model_dump(mode="json"), ensure_ascii=False)
    assert json.dumps(hostile, ensure_ascii=False)[1:-1] in dumped
    text = render(hostile_plan, "markdown")
    tree, reference = _PARSE(text), _PARSE(render(benign_plan, "markdown"))
    assert isinstance(tree, list) and isinstance(reference, list)
    assert skeleton(tree) == skeleton(reference)
    found = kinds(tree)
    tasks = sum(len(r.tasks) for r in hostile_plan.repos)
    assert found.count("task_list_item") == tasks
    assert found.count("heading") == kinds(reference).count("heading")
    assert found.count("table_row") == len(hostile_plan.waves)
    # The only HTML block is planner's own first line, the generated-file marker.
    assert found.count("block_html") == 1 and tree[0] == {"type": "block_html", "raw": GENERATED_MARKER + "\n"}
    # The only inline HTML is planner's own markers, one per task, each naming its own task.
    html = [t for t in _walk(tree) if t["type"] == "inline_html"]
    assert len(html) == tasks
    ids = [decode_id(m.group(1)) for m in map(TASK_MARKER.fullmatch, (t["raw"] for t in html)) if m]
    assert ids == [t.id for r in hostile_plan.repos for t in r.tasks]


def _walk(tokens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for token in tokens:
        out.append(token)
        out += _walk(token.get("children") or [])
    return out


@pytest.mark.parametrize("hostile", HOSTILE)
def test_progress_round_trips_through_hostile_text(tmp_path: Path, hostile: str) -> None:
    plan = plan_for(tmp_path, design(hostile), config_for(hostile))
    first = render(plan, "markdown")
    ids = [t.id for r in plan.repos for t in r.tasks]
    # A person ticks every other task and writes a note.
    ticked_ids = set(ids[::2])
    lines = []
    for line in first.split("\n"):
        m = TASK_MARKER.search(line)
        if m and decode_id(m.group(1)) in ticked_ids:
            line = line.replace("- [ ]", "- [x]", 1)
        lines.append(line)
    edited = "\n".join(lines) + "<!-- planner:notes -->\nmy note " + hostile + "\n<!-- /planner:notes -->\n"
    progress = read_progress(edited)
    assert dict(progress.boxes) == {i: "x" if i in ticked_ids else " " for i in ids}
    again = carry_over(render(plan, "markdown"), edited)
    assert read_progress(again).boxes == progress.boxes
    # No task went to "Removed from the design" (the heading text may sit in a verify command's fence).
    assert again.split("\n").count(REMOVED_HEADING) == first.split("\n").count(REMOVED_HEADING)
    assert again.count("my note " + hostile) == 1
    # And once more: regenerating is a fixed point.
    assert carry_over(render(plan, "markdown"), again) == again


@pytest.mark.parametrize("task_id", ["a:file:x--y.rs", "a:file:x-->y", "a:file:<!--", "a:file:-", "a b\nc"])
def test_task_marker_is_a_valid_html_comment_for_every_id(task_id: str) -> None:
    encoded = encode_id(task_id)
    assert decode_id(encoded) == task_id
    # CommonMark before 0.31 (GitHub's cmark-gfm) ends or rejects a comment at `--`: never emit it.
    assert "--" not in encoded and ">" not in encoded and not re.search(r"\s", encoded)
    marker = f"<!-- planner:id={encoded} -->"
    assert TASK_MARKER.fullmatch(marker)


def test_design_path_cannot_inject_markdown(tmp_path: Path) -> None:
    folder = tmp_path / "x\n# Injected <b>\n- [ ] fake"
    folder.mkdir()
    path = folder / "a <b> (c).md"
    path.write_text(design(BENIGN), encoding="utf-8")
    text = render(plan_design(path, config_for(BENIGN)), "markdown")
    tree = _PARSE(text)
    assert isinstance(tree, list)
    headings = [t for t in _walk(tree) if t["type"] == "heading"]
    assert [h["attrs"]["level"] for h in headings].count(1) == 1
    assert kinds(tree).count("block_html") == 1 and "Injected" not in kinds(tree)
    link = next(t for t in _walk(tree) if t["type"] == "link")
    assert link["attrs"]["url"].endswith("a%20%3Cb%3E%20%28c%29.md")


# -- CSV (Jira) --------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", [h for h in HOSTILE if h[0] in "=+-@"] + ["\tTAB", " =SPACE()"])
def test_jira_csv_cells_never_start_a_formula(tmp_path: Path, hostile: str) -> None:
    config = config_for(hostile)
    plan = plan_for(tmp_path, design(hostile), config)
    rows = list(csv.reader(io.StringIO(render_csv(plan, config), newline="")))
    header, body = rows[0], rows[1:]
    assert len(body) == len(plan.repos) + sum(len(r.tasks) for r in plan.repos)
    assert all(len(row) == len(header) for row in body)
    summaries = [row[header.index("Summary")] for row in body]
    # The hostile title arrived, neutralised with the OWASP quote prefix where it starts a cell.
    assert any(hostile.strip() in s for s in summaries)
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n")), (cell, row)


# -- GitHub Actions workflow commands ---------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile", ["%0A::set-output name=x::y", "::error file=a.md,line=1::forged", "a\r\n::warning::b"]
)
def test_actions_commands_cannot_be_injected(tmp_path: Path, hostile: str) -> None:
    # Through a message (design text), a path (a file's name) and both formats on the CLI.
    diagnostic = error("x", f"unknown repo '{hostile}'; fix it", f"designs/{hostile}.md", 3)
    for line_set in (workflow_commands([diagnostic]), [diagnostic.format()]):
        assert len(line_set) == 1 and "\n" not in line_set[0] and "\r" not in line_set[0]
    command = _COMMAND.fullmatch(workflow_commands([diagnostic])[0])
    assert command is not None
    assert _unescape(command.group("file")) == diagnostic.path
    assert _unescape(command.group("message")) == diagnostic.message
    folder = tmp_path / f"d {hostile}"
    folder.mkdir()
    path = folder / "design.md"
    path.write_text(design(BENIGN).replace("- [x] flovyn-app", f"- [x] `{hostile}`"), encoding="utf-8")
    for fmt in ("text", "github"):
        result = CliRunner().invoke(app, ["check", str(path), "--config", str(EXAMPLE_CONFIG), "-f", fmt])
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        if fmt == "text":
            *lines, summary = lines
            assert summary.startswith("planner check: 1 design doc(s), ")  # the count is planner's own line
        assert lines
        if fmt == "github":
            assert all(_COMMAND.fullmatch(line) for line in lines), lines
            assert {_unescape(_COMMAND.fullmatch(line).group("file")) for line in lines} == {str(path)}  # type: ignore[union-attr]
        else:
            assert all(line.startswith(str(tmp_path)) for line in lines), lines


# One workflow command: properties hold no `:` or `,` (escaped), so the first `::` after them ends them.
_COMMAND = re.compile(r"::(error|warning) file=(?P<file>[^:,]*),line=\d+,title=(?P<title>[^:,]*)::(?P<message>.*)")


def _unescape(value: str) -> str:
    for escaped, char in (("%2C", ","), ("%3A", ":"), ("%0A", "\n"), ("%0D", "\r"), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


# -- Mermaid and DOT --------------------------------------------------------------------------------

# A node whose label is one quoted string: Mermaid reads up to the next `"`; `<>` would be HTML and a
# backtick a Markdown string, so those are entity codes too.
_MERMAID_NODE = r'    n\d+\["[^"<>`]*"\]'


@pytest.mark.parametrize("hostile", [h for h in HOSTILE if any(c in h for c in '"[];{}->|`#')])
def test_graph_names_stay_inside_labels(hostile: str) -> None:
    config = config_for(hostile)
    mermaid = render_graph(config.graph, "mermaid").splitlines()
    assert mermaid[0] == "flowchart TD"
    nodes = [line for line in mermaid[1:] if "[" in line]
    edges = [line for line in mermaid[1:] if "[" not in line]
    assert len(nodes) == 2 and all(re.fullmatch(_MERMAID_NODE, n) for n in nodes), nodes
    assert edges == ["    n1 --> n0"] or edges == ["    n0 --> n1"]
    dot = render_graph(config.graph, "dot").splitlines()
    labels = [line for line in dot if "label=" in line]
    assert len(labels) == 2
    assert all(re.fullmatch(r'    n\d+ \[label="(?:[^"\\]|\\.)*"\];', line) for line in labels), labels
    assert sum("->" in line and "label" not in line for line in dot) == 1


@pytest.mark.parametrize("hostile", HOSTILE)
def test_plan_mermaid_keeps_names_in_labels(tmp_path: Path, hostile: str) -> None:
    plan = plan_for(tmp_path, design(hostile), config_for(hostile))
    lines = render(plan, "mermaid").splitlines()
    assert lines[0] == "flowchart TD"
    assert all(re.fullmatch(_MERMAID_NODE, line) or re.fullmatch(r"    n\d+ --> n\d+", line) for line in lines[1:])


# -- GitHub issues ----------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_github_issue_bodies_find_their_own_task(tmp_path: Path, hostile: str) -> None:
    config = config_for(hostile)
    plan = plan_for(tmp_path, design(hostile), config)
    specs, _ = plan_issues(plan, config)
    assert len(specs) == sum(len(r.tasks) for r in plan.repos)
    for spec in specs:
        assert issue_key(spec.body) == (plan.design.feature, spec.task_id)
        assert "\n" not in spec.title and "\r" not in spec.title


# -- build index ------------------------------------------------------------------------------------


def test_build_index_keeps_one_row_per_design(tmp_path: Path) -> None:
    designs = tmp_path / "designs"
    designs.mkdir()
    names = ["a|b.md", "pipe `|` tick.md", "plain.md", "draft | x.md"]
    for i, name in enumerate(names):
        hostile = HOSTILE[i * 7 % len(HOSTILE)]
        text = design(hostile).replace("Approved", "Draft") if name.startswith("draft") else design(hostile)
        (designs / name).write_text(text.replace("flovyn-server - ", f"flovyn-server - {i} "), encoding="utf-8")
    out = tmp_path / "out"
    config = EXAMPLE_CONFIG
    result = CliRunner().invoke(app, ["build", str(designs), "--out", str(out), "--config", str(config)])
    assert result.exit_code == 0, result.output
    tree = _PARSE((out / "index.md").read_text(encoding="utf-8"))
    assert isinstance(tree, list)
    tables = [t for t in _walk(tree) if t["type"] == "table"]
    assert len(tables) == 1
    rows = [t for t in _walk(tables) if t["type"] == "table_row"]
    assert len(rows) == len(names)
    assert all(len(row["children"]) == 8 for row in rows)
    first_cells = sorted(_walk([row["children"][0]])[1]["raw"].replace("\\|", "|") for row in rows)
    assert first_cells == sorted(str(designs / n) for n in names)


def test_verify_prints_one_line_per_file_whatever_the_path(tmp_path: Path) -> None:
    folder = tmp_path / "x\n::error::forged"
    folder.mkdir()
    path = folder / "design.md"
    path.write_text(design(BENIGN), encoding="utf-8")
    config = EXAMPLE_CONFIG
    plan_json = tmp_path / "plan.json"
    made = CliRunner().invoke(app, ["plan", str(path), "--config", str(config), "-f", "json", "-o", str(plan_json)])
    assert made.exit_code == 0, made.output
    path.write_text(design(BENIGN) + "\nmore\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["verify", str(plan_json)])
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and not any(line.startswith("::") for line in lines), lines
    assert lines[0].startswith("design ") and "\\n::error::forged" in lines[0] and "changed" in lines[0]
