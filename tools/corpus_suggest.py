"""Score `planner suggest` against the real plans: repos and key files, precision and recall.

Runs `planner suggest --format json` once over every design of ../shared/corpus that has a paired plan,
then compares, pair by pair, the suggested repos with the repos the plan names and the suggested key
files with the files the plan names. What a plan names:

- a repo: its name (from the config, not an alias) as a word in the plan's prose or inline code, or as
  the first segment of a path; read as `suggest` reads designs (planner.suggest.mentions), so commands
  in code (`pnpm dev`) and code blocks do not count;
- a file: a path `repo/...` to a file (inline code, a `File:` line or a code block header) whose first
  segment is a repo's name.

Scores are micro-averaged over pairs (a design with two plans counts twice), for all pairs and for the
native ones. The key-file recall bound is the share of the plans' files whose repo-relative path
appears anywhere in the paired design's text: no suggestion can name a file the design never mentions.
Always exits 0: this measures, it does not gate.

    python tools/corpus_suggest.py [--corpus ../shared/corpus] [--min-evidence N ...]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from planner.config import load_config
from planner.design import decode_design
from planner.suggest.mentions import file_like, mentions


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    pairs: list[str] = field(default_factory=list)

    def add(self, got: set[str], want: set[str]) -> None:
        self.tp += len(got & want)
        self.fp += len(got - want)
        self.fn += len(want - got)

    def line(self, label: str) -> str:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return f"{label}: precision {precision:.2f} recall {recall:.2f} (tp {self.tp}, fp {self.fp}, fn {self.fn})"


def _read(path: Path) -> str:
    text, _ = decode_design(path.read_bytes(), str(path))
    return text or ""


def plan_repos(text: str, names: list[str]) -> set[str]:
    word = re.compile(r"(?<![\w./-])(" + "|".join(map(re.escape, names)) + r")(?![\w/-]|\.\w)")
    found = set()
    for mention in mentions(text):
        if mention.kind == "prose":
            found.update(word.findall(mention.text))
        elif mention.text.split("/", 1)[0] in names:
            found.add(mention.text.split("/", 1)[0])
    return found


def plan_files(text: str, names: list[str]) -> set[str]:
    found = set()
    for mention in mentions(text):
        repo, _, rest = mention.text.partition("/")
        if mention.kind == "path" and repo in names and rest and file_like(rest):
            found.add(mention.text)
    return found


def run(corpus: Path, min_evidence: int | None) -> list[str]:
    pairs = json.loads((corpus / "pairs.json").read_text())
    config_path = corpus / "flovyn-repos.toml"
    config, _ = load_config(config_path)
    assert config is not None, "the corpus config does not load"
    names = list(config.repos)
    designs = sorted({p["design"] for p in pairs})
    command = [sys.executable, "-m", "planner", "suggest", "--format", "json", "--config", str(config_path)]
    if min_evidence is not None:
        command += ["--min-evidence", str(min_evidence)]
    done = subprocess.run(
        command + [str(corpus / "designs" / d) for d in designs], capture_output=True, text=True, check=False
    )
    by_design = {Path(s["path"]).name: s for s in json.loads(done.stdout)}
    repos = {"all": Score(), "native": Score()}
    files = {"all": Score(), "native": Score()}
    bound = {"all": [0, 0], "native": [0, 0]}
    for pair in pairs:
        suggestion = by_design[pair["design"]]
        plan_text = _read(corpus / "plans" / pair["plan"])
        design_text = _read(corpus / "designs" / pair["design"])
        got_repos = {r["name"] for r in suggestion["repos"]}
        got_files = {f"{k['repo']}/{k['path']}" for k in suggestion["key_files"]}
        want_files = plan_files(plan_text, names)
        mentioned = sum(1 for f in want_files if f.split("/", 1)[1] in design_text)
        for group in ("all", "native") if pair["native"] else ("all",):
            repos[group].add(got_repos, plan_repos(plan_text, names))
            files[group].add(got_files, want_files)
            bound[group][0] += mentioned
            bound[group][1] += len(want_files)
    shown = "default" if min_evidence is None else str(min_evidence)
    head = f"planner suggest over {len(designs)} designs, {len(pairs)} pairs"
    out = [f"{head} (--min-evidence {shown}, exit {done.returncode})"]
    for group in ("all", "native"):
        mentioned, total = bound[group]
        out.append(repos[group].line(f"  repos, {group} pairs"))
        out.append(files[group].line(f"  key files, {group} pairs"))
        out.append(
            f"  key-file recall bound, {group} pairs: {mentioned / total if total else 1.0:.2f} ({mentioned}/{total})"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus")
    parser.add_argument("--min-evidence", type=int, nargs="*", default=[None])
    args = parser.parse_args()
    if not (args.corpus / "pairs.json").is_file():
        print(f"corpus_suggest: no corpus at {args.corpus}; nothing to measure")
        return 0
    for n in args.min_evidence:
        print("\n".join(run(args.corpus, n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
