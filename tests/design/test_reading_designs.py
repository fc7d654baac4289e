"""Issue 11: plans out of the designs people really write — what is read where, and what is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_designs import FUZZ
from hypothesis import given
from hypothesis import strategies as st
from project import ROOT
from rules_support import HEAD, findings, line_of, plan_text, tasks_of
from typer.testing import CliRunner

from planner.cli import app
from planner.design import parse_design
from planner.design.context import CONTEXT_SECTIONS
from planner.plan import Plan

SERVER = "## Affected Repositories\n\n- [x] flovyn-server - gadgets\n"


def rest(plan: Plan) -> list[str]:
    return [f"{e.method} {e.path}" for e in plan.context.endpoints]


def notes(plan: Plan) -> list[int]:
    return [d.line for d in plan.diagnostics if d.code == "outside-section"]


# -- where the change is read -----------------------------------------------------------------------

AS_WRITTEN = (
    HEAD
    + """## Current State

```
GET /api/orgs/{org}/gadgets   List gadgets (exists)
```

## Endpoints

```
POST   /api/orgs/{org}/gadgets        Create a gadget
DELETE /api/orgs/{org}/gadgets/{id}   Remove one
```

## 4. Alternatives Considered

### Keep them in a JSON column

```sql
ALTER TABLE orgs ADD COLUMN gadgets JSONB;
```

## Storage

```sql
CREATE TABLE gadgets (id UUID PRIMARY KEY, org_id UUID NOT NULL);
INSERT INTO gadgets VALUES (gen_random_uuid(), gen_random_uuid());
```

"""
    + SERVER
)


def test_without_the_sections_api_lines_and_ddl_are_read_where_they_stand(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, AS_WRITTEN)
    assert plan.ok, plan.diagnostics
    assert rest(plan) == ["POST /api/orgs/{org}/gadgets", "DELETE /api/orgs/{org}/gadgets/{id}"]
    # The context sections (and a subsection of one) are not the change; a data statement is not schema.
    assert [c.tables for c in plan.context.database] == [("gadgets",)]
    assert "flovyn-server:migration" in tasks_of(plan, "flovyn-server")


def test_each_line_taken_from_outside_is_a_note_at_its_line(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, AS_WRITTEN, strict=True)
    assert notes(plan) == [
        line_of(AS_WRITTEN, "POST   /api"),
        line_of(AS_WRITTEN, "DELETE /api"),
        line_of(AS_WRITTEN, "CREATE TABLE gadgets"),
    ]
    assert {d.severity for d in plan.diagnostics if d.code == "outside-section"} == {"note"}
    assert plan.ok  # --strict leaves notes alone
    message = next(d.message for d in plan.diagnostics if d.code == "outside-section")
    assert "'POST /api/orgs/{org}/gadgets'" in message and "'Endpoints'" in message and "API Changes" in message


def test_a_design_with_the_section_is_read_from_it_alone(tmp_path: Path) -> None:
    text = AS_WRITTEN + "\n## API Changes\n\n- `GET /api/orgs/{org}/gadgets/count` - count\n"
    plan = plan_text(tmp_path, text)
    assert rest(plan) == ["GET /api/orgs/{org}/gadgets/count"]
    assert notes(plan) == [line_of(text, "CREATE TABLE gadgets")]  # still no Database Changes


@pytest.mark.parametrize("heading", [*CONTEXT_SECTIONS, "Current State Analysis", "2. Non-Goals", "**Appendices**"])
def test_every_context_heading_hides_its_lines(tmp_path: Path, heading: str) -> None:
    text = HEAD + f"## {heading.title() if heading.islower() else heading}\n\n```\nPUT /api/x\n```\n\n" + SERVER
    plan = plan_text(tmp_path, text)
    assert rest(plan) == [] and notes(plan) == []


def test_a_context_section_ends_at_the_next_heading_of_its_level(tmp_path: Path) -> None:
    text = HEAD + "## Background\n\n### Old API\n\n`GET /api/old`\n\n## Design\n\n`GET /api/new`\n\n" + SERVER
    assert rest(plan_text(tmp_path, text)) == ["GET /api/new"]


# -- lines ------------------------------------------------------------------------------------------


def test_a_table_with_method_and_path_columns(tmp_path: Path) -> None:
    text = (
        HEAD
        + "## REST\n\n| Method | Path | Notes |\n|---|---|---|\n| GET | `/api/a/{id}` | one |\n"
        + "| Poll | `PollWork` | not REST |\n\n| Endpoint | Notes |\n|---|---|\n| `PATCH /api/b` | two |\n\n"
        + SERVER
    )
    plan = plan_text(tmp_path, text)
    assert rest(plan) == ["GET /api/a/{id}", "PATCH /api/b"]
    assert [e.line for e in plan.context.endpoints] == [line_of(text, "/api/a/"), line_of(text, "/api/b")]


def test_an_endpoint_heading_and_rpc_returns_on_the_next_line(tmp_path: Path) -> None:
    text = (
        HEAD
        + "## Design\n\n### POST /api/tasks\n\nCreates a task.\n\n```protobuf\nservice Tasks {\n"
        + "    rpc Watch(stream WatchRequest)\n        returns (stream TaskEvent);\n}\n```\n\n"
        + SERVER
    )
    plan = plan_text(tmp_path, text)
    assert rest(plan) == ["POST /api/tasks"]
    rpc = plan.context.rpcs[0]
    assert (rpc.service, rpc.name, rpc.request, rpc.response) == (
        "Tasks",
        "Watch",
        "stream WatchRequest",
        "stream TaskEvent",
    )
    assert rpc.line == line_of(text, "rpc Watch")


def test_prose_stays_prose_outside_the_api_section(tmp_path: Path) -> None:
    text = (
        HEAD
        + "## Notes\n\nPOST requests are retried. See `GET .../tasks/{id}` for more.\n\n"
        + "```\nGET api/x without a slash\nrpc broken(\n```\n\n"
        + SERVER
    )
    plan = plan_text(tmp_path, text)
    assert plan.ok and findings(plan) == [] and rest(plan) == []


def test_in_api_changes_an_aligned_description_is_read_and_a_bad_line_is_still_an_error(tmp_path: Path) -> None:
    text = HEAD + "## API Changes\n\n```\nGET /api/a    Read a\nGET /api/b read b\n```\n\n" + SERVER
    plan = plan_text(tmp_path, text)
    assert rest(plan) == ["GET /api/a"]
    assert findings(plan) == [("error", "rest-path", line_of(text, "/api/b"))]


# -- structure ----------------------------------------------------------------------------------------


NESTED = (
    HEAD
    + """## Affected Repositories

- Backend:
  - [x] flovyn-server - gadget storage
- Console:
  - [x] flovyn-app
  - [ ] sdk-rust

## Key Files

- [x] `flovyn-server/src/gadgets.rs` - the store
- [ ] `flovyn-server/src/old.rs` - not this time

## Open Questions

- Sizing:
  - [ ] How many gadgets per org?

## Key Files

- `flovyn-app/src/gadgets.tsx` - the page
"""
)


def test_nested_items_a_checkbox_key_file_and_a_section_written_twice(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, NESTED)
    assert [r.name for r in plan.repos] == ["flovyn-server", "flovyn-app"]
    assert list(tasks_of(plan, "flovyn-server")) == ["flovyn-server:file:src/gadgets.rs"]
    assert list(tasks_of(plan, "flovyn-app")) == ["flovyn-app:file:src/gadgets.tsx"]
    first = NESTED[: NESTED.index("## Key Files")].count("\n") + 1
    line = NESTED[: NESTED.rindex("## Key Files")].count("\n") + 1
    assert findings(plan) == [
        ("warning", "open-question", line_of(NESTED, "How many")),
        ("warning", "duplicate-section", line),
    ]
    message = plan.diagnostics[1].message
    assert f"'Key Files' is written twice (lines {first} and {line})" in message


# -- every checked repo gets work -------------------------------------------------------------------


def test_a_repo_with_nothing_else_gets_its_change_as_a_task(tmp_path: Path) -> None:
    text = HEAD + "## Affected Repositories\n\n- [x] flovyn-app - gadgets page\n- [x] sdk-rust\n"
    plan = plan_text(tmp_path, text)
    app_tasks = plan.repos[0].tasks
    assert [(t.id, t.kind, t.title) for t in app_tasks] == [("flovyn-app:change", "change", "flovyn-app: gadgets page")]
    assert app_tasks[0].source_line == line_of(text, "flovyn-app")
    assert plan.repos[1].tasks[0].title == "sdk-rust: Widgets"  # no change text: the feature


DOMAIN = (
    HEAD
    + """## Data Model

```rust
pub struct Gadget { id: Uuid }
```

```kotlin
data class GadgetView(val id: String)
```

## API Changes

- `GET /api/gadgets` - list
- `GET /api/other` - unrelated

## Affected Repositories

- [x] flovyn-server - gadgets
- [x] sdk-rust - gadgets in the SDK
"""
)


def test_a_domain_type_goes_to_the_first_repo_of_its_language_before_the_tasks_that_name_it(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, DOMAIN)
    server = tasks_of(plan, "flovyn-server")
    assert next(iter(server)) == "flovyn-server:domain:Gadget"
    assert server["flovyn-server:rest:GET:/api/gadgets"] == ("flovyn-server:domain:Gadget",)
    assert server["flovyn-server:rest:GET:/api/other"] == ()
    assert plan.repos[0].tasks[0].title == "Define Gadget (rust)"
    # sdk-rust is rust too, but later in plan order; no checked kotlin repo: GadgetView is context only.
    assert not any(":domain:" in t for t in tasks_of(plan, "sdk-rust"))
    assert [t.name for t in plan.context.domain_types] == ["Gadget", "GadgetView"]


# -- the CLI ------------------------------------------------------------------------------------------


def test_check_strict_prints_notes_and_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "d.md").write_text(AS_WRITTEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    root = ROOT
    result = CliRunner().invoke(app, ["check", "--strict", "--config", str(root / "config" / "repos.toml"), "d.md"])
    assert result.exit_code == 0, result.output
    *lines, summary = result.stderr.strip().split("\n")
    assert summary == "planner check: 1 design doc(s), 0 error(s), 0 warning(s), 3 note(s)"
    assert len(lines) == 3 and all(": note: read '" in line and "[outside-section]" in line for line in lines)


# -- properties ---------------------------------------------------------------------------------------

_PATHS = st.from_regex(r"/api/[a-z]{1,8}(/[a-z]{1,6}){0,2}", fullmatch=True)


@FUZZ
@given(
    inside=st.lists(_PATHS, min_size=1, max_size=4, unique=True),
    hidden=st.lists(_PATHS, max_size=4),
    context=st.sampled_from(CONTEXT_SECTIONS),
    level=st.integers(3, 5),
)
def test_lines_under_a_context_heading_are_never_read(
    inside: list[str], hidden: list[str], context: str, level: int
) -> None:
    hashes = "#" * level
    body = "".join(f"GET {p}   read\n" for p in inside)
    hidden_body = "".join(f"- `DELETE {p}`\n" for p in hidden)
    text = HEAD + f"## Design\n\n```\n{body}```\n\n## {context.title()}\n\n{hashes} Detail\n\n{hidden_body}\n" + SERVER
    fast, fast_problems = parse_design(text, "d.md")
    full, full_problems = parse_design(text, "d.md", full=True)
    assert (fast, fast_problems) == (full, full_problems)
    assert [e.subject for e in fast.endpoints] == [f"GET {p}" for p in inside]
    assert all(d.code == "outside-section" for d in fast_problems)


def test_an_example_request_of_a_stated_endpoint_is_not_another_endpoint(tmp_path: Path) -> None:
    text = (
        HEAD
        + "## Endpoints\n\n```\nPOST /api/orgs/{org}/runs/{id}/retry   Retry a run\n```\n\n"
        + '## Examples\n\n```\nPOST /api/orgs/acme/runs/{id}/retry\n{"reason": "flaky"}\n```\n\n'
        + "```\nPOST /api/orgs/acme/other\n```\n\n"
        + SERVER
    )
    plan = plan_text(tmp_path, text)
    assert rest(plan) == ["POST /api/orgs/{org}/runs/{id}/retry", "POST /api/orgs/acme/other"]
    assert notes(plan) == [line_of(text, "{org}/runs"), line_of(text, "acme/other")]


@pytest.mark.parametrize("heading", ["Domain Model", "Data Model (server)", "Types", "3. Domain Types"])
def test_domain_types_come_from_the_domain_section_only(tmp_path: Path, heading: str) -> None:
    text = (
        HEAD
        + f"## {heading}\n\n```rust\npub struct Gadget {{}}\n```\n\n"
        + "## Elsewhere\n\n```rust\npub struct Helper {}\n```\n\n"
        + SERVER
    )
    plan = plan_text(tmp_path, text)
    assert [t.name for t in plan.context.domain_types] == ["Gadget"]


_SEGMENTS = st.sampled_from(["api", "orgs", "acme", "{org}", ":id", "runs", "7", "<name>"])


@FUZZ
@given(paths=st.lists(st.lists(_SEGMENTS, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s)), max_size=12))
def test_example_requests_are_dropped_exactly_as_the_plain_rule_says(paths: list[str]) -> None:
    from planner.design.model import Endpoint
    from planner.design.reader import _without_examples

    def param(segment: str) -> bool:
        return segment in ("{org}", ":id", "<name>")

    def spells(pattern: str, path: str) -> bool:
        a, b = pattern.split("/"), path.split("/")
        return pattern != path and len(a) == len(b) and all(param(x) or x == y for x, y in zip(a, b, strict=True))

    endpoints = [Endpoint("GET", p, None, n) for n, p in enumerate(paths, 1)]
    kept = [e.path for e in _without_examples(endpoints)]
    assert kept == [p for p in paths if not any(any(map(param, q.split("/"))) and spells(q, p) for q in paths)]


@pytest.mark.parametrize(
    "text",
    [
        # Both change sections: the fast path reads both parts of a section written twice.
        HEAD
        + "## API Changes\n\n- `GET /api/a` - a\n\n## Database Changes\n\nNone.\n\n"
        + "## Key Files\n\n- `flovyn-server/a.rs` - a\n\n## Notes\n\nprose\n\n"
        + "## Key Files\n\n- `flovyn-server/b.rs` - b\n\n"
        + SERVER,
        # The headings stand only in a code block: the design is read whole after all.
        HEAD
        + "## Example\n\n```markdown\n## API Changes\n## Database Changes\n```\n\n"
        + "## Design\n\n`PUT /api/c`\n\n"
        + SERVER,
    ],
)
def test_the_fast_path_reads_as_the_full_parse(text: str) -> None:
    assert parse_design(text, "d.md") == parse_design(text, "d.md", full=True)
    doc, _ = parse_design(text, "d.md")
    assert doc.key_files or [e.subject for e in doc.endpoints] == ["PUT /api/c"]
    assert len(doc.key_files) in (0, 2)


def test_without_checked_repos_only_the_missing_section_is_reported(tmp_path: Path) -> None:
    text = HEAD + "## Design\n\n`GET /api/x`\n\n```sql\nCREATE TABLE x (id INT);\n```\n"
    plan = plan_text(tmp_path, text)
    assert [(s, c) for s, c, _ in findings(plan) if s != "note"] == [("error", "no-repos")]
