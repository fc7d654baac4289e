"""`--learn-paths`: which first folders go with which repo in existing plans, as a `paths = [...]` proposal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from planner.config import Config
from planner.suggest.mentions import mentions

__all__ = ["MIN_MENTIONS", "learn_paths", "render_learned"]

# A folder named once may be a slip; two mentions (on different lines) make it a proposal.
MIN_MENTIONS = 2


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


def render_learned(counts: dict[str, Counter[str]], source: str) -> str:
    """TOML to paste: per repo (by name) the folders only it names, at least MIN_MENTIONS times; folders
    that several repos name are left out (a prefix belongs to one repo) and listed in a comment."""
    owners: Counter[str] = Counter(folder for per_repo in counts.values() for folder in per_repo)
    lines = [f"# planner suggest --learn-paths {source}: first folders of `repo/folder/...` paths, with counts"]
    for repo in sorted(counts):
        per_repo = counts[repo]
        ranked = sorted(per_repo.items(), key=lambda item: (-item[1], item[0]))
        kept = sorted(f for f, n in per_repo.items() if n >= MIN_MENTIONS and owners[f] == 1)
        shared = [f"{f} {n}" for f, n in ranked if owners[f] > 1]
        lines += ["", f"[repos.{repo}]", "# " + ", ".join(f"{f} {n}" for f, n in ranked)]
        if shared:
            lines.append("# left out, also named under other repos: " + ", ".join(shared))
        lines.append("paths = [" + ", ".join(f'"{f}"' for f in kept) + "]")
    return "\n".join(lines) + "\n"
