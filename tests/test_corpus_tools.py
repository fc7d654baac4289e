"""tools/corpus_plans.py: the corpus figures, on a small corpus written here (the real one may be absent)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from project import ROOT

DESIGN = """# Gadgets Design

**Date:** 2026-04-01
**Status:** Draft

## Current State

`GET /api/orgs/{org}/widgets` lists widgets; nobody asked for gadgets.

## REST API

```
POST   /api/orgs/{org}/gadgets          Create a gadget
GET    /api/orgs/{org}/gadgets/{id}     Read one
```

## Storage

```sql
CREATE TABLE gadgets (id UUID PRIMARY KEY);
```

## Notes

POST requests are retried by the client.
"""

# The team's real plan: it names the server, the two endpoints (parameters spelled its own way), the
# table, and an endpoint the design names only as context (which is left out of the recall).
PLAN = """# Implementation Plan: Gadgets

- [x] Add `gadgets` table in `flovyn-server/migrations/001_gadgets.sql`
- [x] `POST /api/orgs/:org/gadgets`
- [ ] `GET /api/orgs/:org/gadgets/:gadgetId`
- [ ] keep `GET /api/orgs/{org}/widgets` working
- [ ] show gadgets in flovyn-app
"""


def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "designs").mkdir(parents=True)
    (root / "plans").mkdir()
    (root / "designs" / "gadgets.md").write_text(DESIGN, encoding="utf-8")
    (root / "plans" / "gadgets-plan.md").write_text(PLAN, encoding="utf-8")
    pairs = [{"design": "gadgets.md", "plan": "gadgets-plan.md", "native": False}]
    (root / "pairs.json").write_text(json.dumps(pairs), encoding="utf-8")
    shutil.copyfile(ROOT / "config" / "repos.toml", root / "flovyn-repos.toml")
    return root


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "corpus_plans.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_figures_on_a_small_corpus(tmp_path: Path) -> None:
    done = run("--corpus", str(corpus(tmp_path)))
    assert done.returncode == 0, done.stderr
    figures = dict(line.split(":", 1) for line in done.stdout.strip().split("\n"))
    assert {k: v.strip() for k, v in figures.items()} == {
        "designs planned (no error)": "1/1",
        "checked repos with a task": "2/2",  # flovyn-app has a task too: it calls the endpoints
        "recall, REST endpoints": "2/2 = 1.00",
        "recall, gRPC methods": "0/0",
        "recall, SQL tables": "1/1 = 1.00",
        "tracebacks": "0",
        "false parse errors": "0",
    }


def test_an_absent_corpus_is_no_failure(tmp_path: Path) -> None:
    done = run("--corpus", str(tmp_path / "nowhere"))
    assert done.returncode == 0 and "is absent" in done.stdout
