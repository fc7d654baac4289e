"""`--learn-paths`: which first folders go with which repo in existing plans, as a `paths = [...]` proposal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from planner.config import Config
from planner.suggest.mentions import mentions

__all__ = ["MIN_MENTIONS", "MIN_SHARE", "learn_paths", "proposed_paths", "render_learned"]

# A folder named once may be a slip; two mentions (on different lines) make it a proposal.
MIN_MENTIONS = 2
# A folder several repos have (`src/`, `tests/`) goes to the one with at least this share of its mentions.
MIN_SHARE = 0.8


def learn_paths(texts: Iterable[str], config: Config) -> dict[str, Counter[str]]:
    """For each repo, how many lines of the plans name a path `repo/folder/...`, by folder."""
    counts: dict[str, Counter[str]] = {}
    for text in texts:
        seen: set[tuple[int, str]] = set()
        for mention in mentions(text):
            repo, _, rest = mention.text.partition("/")
            if mention.kind != "path" or repo not in config.repos or "/" not in rest:
                continue
            folder = rest.split("/", 1)[0] + "/"
            if (mention.line, repo + "/" + folder) not in seen:
                seen.add((mention.line, repo + "/" + folder))
                counts.setdefault(repo, Counter())[folder] += 1
    return counts


def _totals(counts: dict[str, Counter[str]]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for per_repo in counts.values():
        totals.update(per_repo)
    return totals


def proposed_paths(counts: dict[str, Counter[str]]) -> dict[str, tuple[str, ...]]:
    """Per repo, the folders it names at least MIN_MENTIONS times and with at least MIN_SHARE of all their
    mentions (so no folder goes to two repos), sorted."""
    totals = _totals(counts)
    return {
        repo: tuple(sorted(f for f, n in per_repo.items() if n >= MIN_MENTIONS and n >= MIN_SHARE * totals[f]))
        for repo, per_repo in counts.items()
    }


def render_learned(counts: dict[str, Counter[str]], source: str) -> str:
    """TOML to paste: per repo (by name) its proposed_paths, with every folder's count in a comment and
    the folders left out because other repos name them too."""
    totals = _totals(counts)
    proposal = proposed_paths(counts)
    lines = [f"# planner suggest --learn-paths {source}: first folders of `repo/folder/...` paths, with counts"]
    for repo in sorted(counts):
        per_repo = counts[repo]
        ranked = sorted(per_repo.items(), key=lambda item: (-item[1], item[0]))
        shared = [f"{f} {n} of {totals[f]}" for f, n in ranked if n < MIN_SHARE * totals[f]]
        lines += ["", f"[repos.{repo}]", "# " + ", ".join(f"{f} {n}" for f, n in ranked)]
        if shared:
            lines.append(f"# left out, under {MIN_SHARE:.0%} of the folder's mentions: " + ", ".join(shared))
        lines.append("paths = [" + ", ".join(f'"{f}"' for f in proposal[repo]) + "]")
    return "\n".join(lines) + "\n"
