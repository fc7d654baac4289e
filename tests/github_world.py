"""A fake GitHub world for the two-way tracker tests: config, design, plan file, CLI and pushes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fake_github import FakeGitHub
from typer.testing import CliRunner

from planner.cli import app
from planner.config import load_config
from planner.plan import Plan, plan_design
from planner.trackers.github import GitHubClient, Pacing, SyncResult, sync_github

TOKEN = "pull-token"

CONFIG = """\
version = 1

[repos.ledger]
description = "Ledger service"
language = "go"
provides = ["rest", "database"]
verify = ["go test ./..."]

[repos.ledger.tracker]
github = "acme/ledger"

[repos.portal]
description = "Customer portal"
language = "typescript"
depends_on = ["ledger"]
consumes = ["rest"]

[repos.portal.tracker]
github = "acme/portal"
"""

DESIGN = """\
# Refund Ledger Design

**Date:** 2026-02-01
**Status:** Approved

## Overview

Refunds are written to the ledger and shown in the portal.

## Proposed Solution

### API Changes

```
POST /api/refunds
```

### Database Changes

```sql
CREATE TABLE refunds (id UUID PRIMARY KEY, amount BIGINT NOT NULL);
```

### Affected Repositories

- [x] ledger - refunds table and endpoint
- [x] portal - refund button
"""

MIG, API, UI = "ledger:migration", "ledger:rest:POST:/api/refunds", "portal:rest:POST:/api/refunds"


def no_wait() -> Pacing:
    return Pacing(sleep=lambda _: None, monotonic=lambda: 0.0, now=lambda: 0.0, min_interval=0.0)


class World:
    """The fake GitHub plus a folder holding config, design, plan and base."""

    def __init__(self, root: Path, server: FakeGitHub) -> None:
        self.root, self.server = root, server
        (root / "repos.toml").write_text(CONFIG, encoding="utf-8")
        (root / "design.md").write_text(DESIGN, encoding="utf-8")
        self.plan_file = root / "plan.md"
        self.base = root / ".plan.md.sync.json"

    def plan(self) -> tuple[Plan, Any]:
        config, problems = load_config(self.root / "repos.toml")
        assert config is not None, problems
        result = plan_design(self.root / "design.md", config)
        assert result.ok, result.diagnostic_values()
        return result, config

    def push(self, **options: Any) -> SyncResult:
        plan, config = self.plan()
        with GitHubClient(self.server.url, TOKEN, no_wait()) as client:
            return sync_github(plan, config, client, **options)

    def cli(self, *args: str, code: int = 0) -> str:
        extra = ["--config", str(self.root / "repos.toml")]
        if args[0] in ("pull", "sync"):
            extra += ["--api-url", self.server.url]
        result = CliRunner().invoke(app, [*args, *extra], env={"GITHUB_TOKEN": TOKEN})
        assert result.exit_code == code, result.output
        return result.output

    def pull(self, *extra: str, code: int = 0) -> str:
        design = str(self.root / "design.md")
        return self.cli("pull", "github", design, "--plan", str(self.plan_file), *extra, code=code)

    def sync(self, *extra: str, code: int = 0) -> str:
        design = str(self.root / "design.md")
        args = ["sync", "github", design, "--plan", str(self.plan_file), "--min-interval", "0", *extra]
        return self.cli(*args, code=code)

    def issue(self, task_id: str) -> dict[str, Any]:
        repo = "acme/portal" if task_id.startswith("portal:") else "acme/ledger"
        found = [i for i in self.server.issues(repo) if f"<!-- planner:id={task_id} -->" in i["body"]]
        open_ones = [i for i in found if i["state"] == "open"] or found
        return min(open_ones, key=lambda i: i["number"])

    def close(self, task_id: str, reason: str = "completed") -> None:
        issue = self.issue(task_id)
        issue["state"], issue["state_reason"] = "closed", reason

    def box(self, task_id: str) -> str:
        for line in self.plan_file.read_text(encoding="utf-8").splitlines():
            if line.endswith(f"<!-- planner:id={task_id} -->"):
                match = re.match(r"\s*- \[(.)\]", line)
                assert match is not None
                return match.group(1)
        raise AssertionError(task_id)

    def tick(self, task_id: str, box: str) -> None:
        lines = self.plan_file.read_text(encoding="utf-8").split("\n")
        lines = [re.sub(r"\[.\]", f"[{box}]", x, count=1) if x.endswith(f"id={task_id} -->") else x for x in lines]
        self.plan_file.write_text("\n".join(lines), encoding="utf-8")


def duplicates(server: FakeGitHub) -> int:
    """Open issues beyond the first per (feature, task): what concurrent syncs must never leave."""
    seen: dict[tuple[str, str, str], int] = {}
    for repo in sorted(server.repos):
        for issue in server.issues(repo):
            ids = re.findall(r"<!-- planner:id=(\S+) -->", issue["body"])
            features = re.findall(r"<!-- planner:feature=(\S+) -->", issue["body"])
            if ids and features and issue["state"] == "open":
                key = (repo, features[-1], ids[-1])
                seen[key] = seen.get(key, 0) + 1
    return sum(n - 1 for n in seen.values())
