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
native ones; and once per design against the union of its plans (a design whose work was split over
several plans is right to suggest what any of them names). The key-file recall bound is the share of
the plans' files whose repo-relative path appears anywhere in the paired design's text: no suggestion
can name a file the design never mentions.
The corpus config lists no `paths`; a second measurement ("learned paths, leave one out") gives each
design the `paths` that `--learn-paths` proposes from the plans of the *other* designs, as a team would
after learning them from its existing plans, so it says what prefixes add on designs whose plans it has
not seen. Exits 0 whatever the scores: this measures, it does not gate (only a crash of
`planner suggest` fails it).

    python tools/corpus_suggest.py [--corpus ../shared/corpus] [--min-evidence N ...]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from planner.config import Config, load_config
from planner.design import decode_design
from planner.suggest import DEFAULT_MIN_EVIDENCE, suggest_text
from planner.suggest.learn import learn_paths, proposed_paths
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
        elif mention.kind == "path" and mention.text.split("/", 1)[0] in names:
            found.add(mention.text.split("/", 1)[0])
    return found


def plan_files(text: str, names: list[str]) -> set[str]:
    found = set()
    for mention in mentions(text):
        repo, _, rest = mention.text.partition("/")
        if mention.kind == "path" and repo in names and rest and file_like(rest):
            found.add(mention.text)
    return found


def _with_learned_paths(config: Config, per_plan: dict[str, dict[str, Counter[str]]], plans: set[str]) -> Config:
    """The config with the paths learned from the given plans (counts of each plan made once)."""
    counts: dict[str, Counter[str]] = {}
    for plan in sorted(plans):
        for repo, folders in per_plan[plan].items():
            counts.setdefault(repo, Counter()).update(folders)
    learned = proposed_paths(counts)
    repos = {name: repo.model_copy(update={"paths": learned.get(name, ())}) for name, repo in config.repos.items()}
    return config.model_copy(update={"repos": repos})


def _leave_one_out(corpus: Path, config: Config, pairs: list[dict[str, object]], designs: list[str], n: int) -> str:
    per_plan = {str(p["plan"]): learn_paths([_read(corpus / "plans" / str(p["plan"]))], config) for p in pairs}
    found = []
    for design in designs:
        path = corpus / "designs" / design
        others = {str(p["plan"]) for p in pairs if p["design"] != design}
        learned = _with_learned_paths(config, per_plan, others)
        suggestion, _ = suggest_text(_read(path), str(path), learned, min_evidence=n)
        found.append(suggestion.model_dump(mode="json"))
    return json.dumps(found)


def run(corpus: Path, min_evidence: int | None, learned: bool = False) -> list[str]:
    pairs = json.loads((corpus / "pairs.json").read_text())
    config_path = corpus / "flovyn-repos.toml"
    config, _ = load_config(config_path)
    assert config is not None, "the corpus config does not load"
    names = list(config.repos)
    designs = sorted({p["design"] for p in pairs})
    if learned:
        stdout, rc = _leave_one_out(corpus, config, pairs, designs, min_evidence or DEFAULT_MIN_EVIDENCE), 0
    else:
        command = [sys.executable, "-m", "planner", "suggest", "--format", "json", "--config", str(config_path)]
        if min_evidence is not None:
            command += ["--min-evidence", str(min_evidence)]
        done = subprocess.run(
            command + [str(corpus / "designs" / d) for d in designs], capture_output=True, text=True, check=False
        )
        stdout, rc = done.stdout, done.returncode
        if rc > 1 or not stdout.startswith("["):
            # A crash is a bug to fix, not a score: say so and fail (scores themselves never fail).
            raise SystemExit(f"corpus_suggest: planner suggest ended with exit {rc}:\n{done.stderr[-2000:]}")
    by_design = {Path(s["path"]).name: s for s in json.loads(stdout)}
    repos = {"all": Score(), "native": Score()}
    files = {"all": Score(), "native": Score()}
    bound = {"all": [0, 0], "native": [0, 0]}
    # A design with several plans split its work between them: also score each design once against the
    # union of what its plans name (a suggestion is right when any of the design's plans names it).
    union_repos: dict[str, set[str]] = {}
    union_files: dict[str, set[str]] = {}
    for pair in pairs:
        suggestion = by_design[pair["design"]]
        plan_text = _read(corpus / "plans" / pair["plan"])
        design_text = _read(corpus / "designs" / pair["design"])
        got_repos = {r["name"] for r in suggestion["repos"]}
        got_files = {f"{k['repo']}/{k['path']}" for k in suggestion["key_files"]}
        want_files = plan_files(plan_text, names)
        mentioned = sum(1 for f in want_files if f.split("/", 1)[1] in design_text)
        union_repos.setdefault(pair["design"], set()).update(plan_repos(plan_text, names))
        union_files.setdefault(pair["design"], set()).update(want_files)
        for group in ("all", "native") if pair["native"] else ("all",):
            repos[group].add(got_repos, plan_repos(plan_text, names))
            files[group].add(got_files, want_files)
            bound[group][0] += mentioned
            bound[group][1] += len(want_files)
    per_design = {"repos": Score(), "files": Score()}
    for design, want in union_repos.items():
        suggestion = by_design[design]
        per_design["repos"].add({r["name"] for r in suggestion["repos"]}, want)
        per_design["files"].add({f"{k['repo']}/{k['path']}" for k in suggestion["key_files"]}, union_files[design])
    shown = "default" if min_evidence is None else str(min_evidence)
    head = f"planner suggest over {len(designs)} designs, {len(pairs)} pairs"
    how = "learned paths, leave one out" if learned else f"exit {rc}"
    out = [f"{head} (--min-evidence {shown}, {how})"]
    for group in ("all", "native"):
        mentioned, total = bound[group]
        out.append(repos[group].line(f"  repos, {group} pairs"))
        out.append(files[group].line(f"  key files, {group} pairs"))
        out.append(
            f"  key-file recall bound, {group} pairs: {mentioned / total if total else 1.0:.2f} ({mentioned}/{total})"
        )
    out.append(per_design["repos"].line(f"  repos, per design (any of its plans, {len(union_repos)} designs)"))
    out.append(per_design["files"].line(f"  key files, per design (any of its plans, {len(union_repos)} designs)"))
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
    for n in args.min_evidence:
        print("\n".join(run(args.corpus, n, learned=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
