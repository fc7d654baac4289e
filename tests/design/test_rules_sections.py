"""Issue 2, section 1: what each design section yields, and every diagnostic at its 1-based line."""

from __future__ import annotations

from pathlib import Path

import pytest
from rules_support import HEAD, findings, line_of, plan_text

SERVER = "## Affected Repositories\n\n- [x] flovyn-server - widgets API\n\n"

# -- affected repositories ------------------------------------------------------------------------


def test_checkbox_bullet_and_name_forms(tmp_path: Path) -> None:
    text = HEAD + (
        "## Affected Repositories\n\n"
        "- [x] flovyn-server - widgets API\n"
        "* [X] **App** - widgets page\n"
        "- [x] `RUST-SDK` - widget client\n"
        "- [ ] sdk-kotlin - later\n"
        "- [ ] not-a-repo-at-all - unchecked names are never resolved\n"
    )
    plan = plan_text(tmp_path, text)
    assert findings(plan) == []
    # Aliases resolve case-insensitively and come out under their canonical names.
    assert [(r.name, r.change) for r in plan.repos] == [
        ("flovyn-server", "widgets API"),
        ("flovyn-app", "widgets page"),
        ("sdk-rust", "widget client"),
    ]


def test_unknown_repo_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    text = HEAD + "## Affected Repositories\n\n- [x] flovyn-server - API\n- [x] sdk-pyton - typo\n- [x] billing - new\n"
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [
        ("error", "unknown-repo", line_of(text, "sdk-pyton")),
        ("error", "unknown-repo", line_of(text, "billing")),
    ]
    typo, unknown = (d.message for d in plan.diagnostics)
    assert "did you mean 'sdk-python'?" in typo
    assert "'billing'" in unknown and "did you mean" not in unknown and "flovyn-server" in unknown


def test_a_repo_checked_twice_is_an_error_at_the_second_line(tmp_path: Path) -> None:
    text = HEAD + "## Affected Repositories\n\n- [x] flovyn-server - API\n- [x] Server - once more\n"
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [("error", "duplicate-repo", line_of(text, "once more"))]
    message = plan.diagnostics[0].message
    assert "'flovyn-server'" in message and f"line {line_of(text, '- API')}" in message


def test_a_repo_listed_unchecked_then_checked_is_a_duplicate_only(tmp_path: Path) -> None:
    text = HEAD + "## Affected Repositories\n\n- [ ] flovyn-server - maybe\n- [x] server - yes\n"
    plan = plan_text(tmp_path, text)
    # Not also "no repository is checked": one is.
    assert findings(plan) == [("error", "duplicate-repo", line_of(text, "yes"))]


def test_no_checked_repo_is_an_error_at_the_section_heading(tmp_path: Path) -> None:
    text = HEAD + "## Overview\n\nText.\n\n### Affected Repos\n\n- [ ] flovyn-server - not yet\n"
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [("error", "no-repos", line_of(text, "### Affected Repos"))]
    assert plan.repos == ()


def test_a_missing_section_is_reported_at_its_parent_heading(tmp_path: Path) -> None:
    text = HEAD + "## Overview\n\nText.\n\n## Proposed Solution\n\n### Architecture\n\nA loop.\n"
    assert findings(plan_text(tmp_path, text)) == [("error", "no-repos", line_of(text, "Proposed Solution"))]
    text = HEAD + "## Overview\n\nText.\n"
    assert findings(plan_text(tmp_path, text)) == [("error", "no-repos", 1)]


def test_a_plain_bullet_is_a_warning_and_not_planned(tmp_path: Path) -> None:
    text = HEAD + "## Affected Repositories\n\n- [x] flovyn-server - API\n- sdk-rust - client\n"
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [("warning", "plain-bullet", line_of(text, "sdk-rust"))]
    assert plan.ok and [r.name for r in plan.repos] == ["flovyn-server"]


def test_a_checkbox_without_a_name_is_an_error(tmp_path: Path) -> None:
    text = HEAD + "## Affected Repositories\n\n- [x] flovyn-server - API\n- [x]\n- [x] sdk-rust - client\n"
    empty_box = text.split("\n").index("- [x]") + 1
    assert findings(plan_text(tmp_path, text)) == [("error", "repo-name", empty_box)]


# -- key files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        ("flovyn-server//etc/passwd", "is absolute"),
        ("flovyn-server/src/../../secrets.rs", "'..'"),
        ("flovyn-server/src\\\\api.rs", "backslash"),
        ("flovyn-server/src//api.rs", "empty segment"),
        ("flovyn-server/src/", "ends with '/'"),
        ("flovyn-server", "no path"),
        ("/flovyn-server/src/api.rs", "no repository"),
    ],
)
def test_unclean_key_file_paths_are_errors(tmp_path: Path, ref: str, why: str) -> None:
    text = HEAD + SERVER + f"## Key Files\n\n- `flovyn-server/src/ok.rs` - fine\n- `{ref}` - bad\n"
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [("error", "key-file-path", line_of(text, "- bad"))]
    assert why in plan.diagnostics[0].message


def test_key_files_in_unknown_or_unchecked_repos_are_errors(tmp_path: Path) -> None:
    text = HEAD + (
        "## Affected Repositories\n\n- [x] flovyn-server - API\n- [ ] sdk-kotlin - later\n\n"
        "## Key Files\n\n"
        "- `sdk-kotlin/src/Widgets.kt` - unchecked\n"
        "- `flovyn-servr/src/api.rs` - typo\n"
        "- `Server/src/api.rs` - alias, fine\n"
    )
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [
        ("error", "key-file-repo", line_of(text, "unchecked")),
        ("error", "key-file-repo", line_of(text, "typo")),
    ]
    unchecked, typo = (d.message for d in plan.diagnostics)
    assert "'sdk-kotlin' is not checked" in unchecked
    assert "did you mean 'flovyn-server'?" in typo


def test_key_file_tasks_carry_the_repo_relative_path(tmp_path: Path) -> None:
    text = (
        HEAD
        + SERVER
        + (
            "## Key Files\n\n"
            "- `server/src/widgets.rs` - widget handlers\n"
            "- not a key file\n"
            "- `flovyn-server/src/widgets.rs` - the same file again\n"
        )
    )
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [
        ("warning", "key-file-format", line_of(text, "not a key file")),
        ("warning", "duplicate-key-file", line_of(text, "same file again")),
    ]
    (task,) = plan.repos[0].tasks
    assert (task.id, task.kind, task.title, task.files) == (
        "flovyn-server:file:src/widgets.rs",
        "file",
        "widget handlers",
        ("src/widgets.rs",),
    )
    assert task.source_line == line_of(text, "widget handlers")


# -- API changes ----------------------------------------------------------------------------------

API = """## API Changes

```
POST /api/orgs/{org_slug}/widgets
{
    "name": "blue"
}

GET /api/orgs/{org_slug}/widgets?limit=20
```

- PUT /api/widgets/{widget_id} - replace a widget
- `PATCH /api/widgets/{widget_id}` - rename

Deleting uses `DELETE /api/widgets/{widget_id}` as before.
HEAD /api/widgets/{widget_id}
OPTIONS /api/widgets

```protobuf
service WidgetService {
  rpc GetWidget(GetWidgetRequest) returns (Widget);
  rpc WatchWidgets(WatchRequest) returns (stream WidgetEvent) {}
}
rpc Ping(PingRequest) returns (PingResponse);
```
"""


def test_rest_endpoints_in_code_lists_inline_code_and_lines(tmp_path: Path) -> None:
    text = HEAD + SERVER + API
    plan = plan_text(tmp_path, text)
    assert findings(plan) == []  # {org_slug} and {widget_id} are path parameters, not template text
    got = [(e.method, e.path, e.line) for e in plan.context.endpoints]
    assert got == [
        ("POST", "/api/orgs/{org_slug}/widgets", line_of(text, "POST /api")),
        ("GET", "/api/orgs/{org_slug}/widgets", line_of(text, "GET /api")),
        ("PUT", "/api/widgets/{widget_id}", line_of(text, "PUT /api")),
        ("PATCH", "/api/widgets/{widget_id}", line_of(text, "PATCH /api")),
        ("DELETE", "/api/widgets/{widget_id}", line_of(text, "DELETE /api")),
        ("HEAD", "/api/widgets/{widget_id}", line_of(text, "HEAD /api")),
        ("OPTIONS", "/api/widgets", line_of(text, "OPTIONS /api")),
    ]
    bodies = {e.method: e.body for e in plan.context.endpoints}
    assert bodies["POST"] == '{\n    "name": "blue"\n}'
    assert bodies["GET"] is None and bodies["PUT"] is None


def test_grpc_methods_with_and_without_their_service(tmp_path: Path) -> None:
    text = HEAD + SERVER + API
    rpcs = plan_text(tmp_path, text).context.rpcs
    assert [(r.service, r.name, r.request, r.response, r.line) for r in rpcs] == [
        ("WidgetService", "GetWidget", "GetWidgetRequest", "Widget", line_of(text, "GetWidget(")),
        ("WidgetService", "WatchWidgets", "WatchRequest", "stream WidgetEvent", line_of(text, "WatchWidgets(")),
        (None, "Ping", "PingRequest", "PingResponse", line_of(text, "Ping(")),
    ]


def test_malformed_api_lines_in_code_are_errors(tmp_path: Path) -> None:
    text = (
        HEAD
        + SERVER
        + ("## API Changes\n\n```\nrpc Half(Request) returns\nGET api/widgets\nPOST /api/widgets and more\n```\n")
    )
    assert findings(plan_text(tmp_path, text)) == [
        ("error", "grpc-syntax", line_of(text, "rpc Half")),
        ("error", "rest-path", line_of(text, "GET api")),
        ("error", "rest-path", line_of(text, "and more")),
    ]


def test_prose_that_starts_with_a_verb_is_not_an_endpoint(tmp_path: Path) -> None:
    text = HEAD + SERVER + "## API Changes\n\nPOST requests are retried.\nrpc calls time out after 30 s.\n"
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [] and plan.context.endpoints == () and plan.context.rpcs == ()


# -- database changes, domain model ---------------------------------------------------------------


def test_sql_statements_give_tables_and_columns(tmp_path: Path) -> None:
    text = (
        HEAD
        + SERVER
        + """## Database Changes

```sql
-- widgets owned by an organization
CREATE TABLE widgets (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (org_id, name)
);
ALTER TABLE organizations ADD COLUMN widget_quota INTEGER;
```

- this bullet is ignored: the SQL says it all
"""
    )
    plan = plan_text(tmp_path, text)
    assert findings(plan) == []
    got = [(c.tables, c.columns, c.line) for c in plan.context.database]
    assert got == [
        (("widgets",), ("id", "org_id", "name"), line_of(text, "CREATE TABLE")),
        (("organizations",), ("widget_quota",), line_of(text, "ALTER TABLE")),
    ]
    migration = plan.repos[0].tasks[0]
    assert (migration.id, migration.title) == (
        "flovyn-server:migration",
        "Write the database migration (organizations, widgets)",
    )
    assert migration.source_line == line_of(text, "CREATE TABLE")


def test_database_bullets_when_there_is_no_sql(tmp_path: Path) -> None:
    text = (
        HEAD
        + SERVER
        + (
            "## Database Changes\n\n```rust\nlet not_sql = 1;\n```\n\n"
            "- new table `widgets`\n- index on `(org_id, name)`\n"
        )
    )
    plan = plan_text(tmp_path, text)
    assert [(c.text, c.line) for c in plan.context.database] == [
        ("new table widgets", line_of(text, "new table")),
        ("index on (org_id, name)", line_of(text, "index on")),
    ]
    assert plan.repos[0].tasks[0].kind == "migration"


def test_empty_database_section_gives_no_migration(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, HEAD + SERVER + "## Database Changes\n\nNone.\n")
    # No migration: the repo's only task is its change (issue 11: every checked repo gets work).
    assert plan.context.database == () and [t.kind for t in plan.repos[0].tasks] == ["change"]


def test_domain_model_types_with_their_fence_language(tmp_path: Path) -> None:
    text = (
        HEAD
        + SERVER
        + """## Domain Model

```rust
pub struct Widget {
    pub id: Uuid,
}

pub(crate) enum WidgetState { Active, Retired }
```

```kotlin
data class WidgetDto(val id: String)
```

```
message WidgetEvent {}
```
"""
    )
    plan = plan_text(tmp_path, text)
    assert [(t.name, t.language, t.line) for t in plan.context.domain_types] == [
        ("Widget", "rust", line_of(text, "struct Widget")),
        ("WidgetState", "rust", line_of(text, "enum WidgetState")),
        ("WidgetDto", "kotlin", line_of(text, "class WidgetDto")),
        ("WidgetEvent", "text", line_of(text, "message WidgetEvent")),
    ]


# -- open questions, template leftovers -----------------------------------------------------------

QUESTIONS = "## Open Questions\n\n- [x] Settled already\n- [ ] Who may delete widgets?\n- [X] Also settled\n"


def test_unresolved_open_question_is_a_warning(tmp_path: Path) -> None:
    text = HEAD + SERVER + QUESTIONS
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [("warning", "open-question", line_of(text, "Who may delete"))]
    assert plan.ok and "Who may delete widgets?" in plan.diagnostics[0].message


def test_strict_makes_an_open_question_an_error(tmp_path: Path) -> None:
    text = HEAD + SERVER + QUESTIONS
    plan = plan_text(tmp_path, text, strict=True)
    assert findings(plan) == [("error", "open-question", line_of(text, "Who may delete"))]
    assert not plan.ok


def test_template_leftovers_are_warnings_at_their_lines(tmp_path: Path) -> None:
    text = """# {Feature Name} Design

**Date:** YYYY-MM-DD
**Status:** Approved
**Branch:** {feature}

## Overview

Brief description of what this feature does and why it's needed.

Calls `GET /api/orgs/{org_slug}/widgets` and reads `{config}` in inline code.

```
POST /api/orgs/{org_slug}/examples
{"name": "{name}"}
```

## Affected Repositories

- [x] flovyn-server - {describe changes, or delete this line if not affected}
"""
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [
        ("warning", "template-text", 1),
        ("warning", "template-text", line_of(text, "YYYY-MM-DD")),
        ("warning", "template-text", line_of(text, "{feature}")),
        ("warning", "template-text", line_of(text, "Brief description")),
        # Without an API Changes section the endpoints under Overview are read, each with a note.
        ("note", "outside-section", line_of(text, "Calls `GET")),
        ("note", "outside-section", line_of(text, "POST /api")),
        ("warning", "template-text", line_of(text, "{describe changes")),
    ]
    assert "'{Feature Name}'" in plan.diagnostics[0].message


# -- line numbers inside containers ---------------------------------------------------------------


def test_lines_inside_nested_lists_and_block_quotes(tmp_path: Path) -> None:
    text = (
        HEAD
        + SERVER
        + """## API Changes

- REST:
  - `GET /a`

  - `POST /b`
    1. nested and ordered
       - `PUT /c`
- gRPC:

  > rpc Quoted(A) returns (B)
  >
  > ```
  > DELETE /d
  > ```

> A quote
> - `PATCH /e`
>
> > GET /f

## Open Questions

> - [ ] {placeholder} in a quoted question
"""
    )
    plan = plan_text(tmp_path, text)
    got = [(e.method, e.line) for e in plan.context.endpoints]
    assert got == [
        ("GET", line_of(text, "GET /a")),
        ("POST", line_of(text, "POST /b")),
        ("PUT", line_of(text, "PUT /c")),
        ("DELETE", line_of(text, "DELETE /d")),
        ("PATCH", line_of(text, "PATCH /e")),
        ("GET", line_of(text, "GET /f")),
    ]
    assert [(r.name, r.line) for r in plan.context.rpcs] == [("Quoted", line_of(text, "rpc Quoted"))]
    assert findings(plan) == [("warning", "template-text", line_of(text, "{placeholder}"))]
