"""GitHub Issues: one issue per task, found again by a hidden marker, synced idempotently."""

from __future__ import annotations

from planner.trackers.github.client import DEFAULT_API_URL, AmbiguousWrite, GitHubClient, GitHubError, Pacing
from planner.trackers.github.issues import IssueSpec, issue_key, plan_issues, render_export
from planner.trackers.github.sync import Action, SyncResult, sync_github

__all__ = [
    "DEFAULT_API_URL",
    "Action",
    "AmbiguousWrite",
    "GitHubClient",
    "GitHubError",
    "IssueSpec",
    "Pacing",
    "SyncResult",
    "issue_key",
    "plan_issues",
    "render_export",
    "sync_github",
]
