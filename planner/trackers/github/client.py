"""A paced GitHub REST client: one write at a time, rate limits honoured, 5xx retried, pages followed."""

from __future__ import annotations

import email.utils
import math
import socket
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from planner import __version__
from planner.errors import PlannerError
from planner.jsonio import parse_json

__all__ = ["DEFAULT_API_URL", "AmbiguousWrite", "GitHubClient", "GitHubError", "Pacing"]

DEFAULT_API_URL = "https://api.github.com"
_MAX_PAGES = 10_000
# GitHub's advice when a secondary limit names no wait: at least a minute.
_UNNAMED_LIMIT_WAIT = 60.0


class GitHubError(PlannerError):
    """A request that GitHub refused or that could not complete; the message says what to do."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AmbiguousWrite(GitHubError):
    """A non-idempotent write whose fate is unknown (connection lost, 5xx): check before repeating it."""


@dataclass(frozen=True)
class Pacing:
    """Clocks and limits, injected so that the core reads no clock and tests run without waiting."""

    sleep: Callable[[float], None]
    monotonic: Callable[[], float]
    now: Callable[[], float]  # wall clock, UTC epoch seconds: `x-ratelimit-reset` is one
    min_interval: float = 1.0
    max_wait: float = 900.0
    max_attempts: int = 5
    backoff: float = 1.0

    def backoff_delay(self, attempt: int) -> float:
        """Exponential: backoff, 2*backoff, 4*backoff, ... for attempt 1, 2, 3, ..."""
        return float(self.backoff * 2 ** max(attempt - 1, 0))


class GitHubClient:
    """Requests against one API root; `writes` counts the POST/PATCH/DELETE requests that were sent."""

    def __init__(
        self,
        api_url: str,
        token: str | None,
        pacing: Pacing,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"planner/{__version__}",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._root = httpx.URL(api_url.rstrip("/") + "/")
        self._http = httpx.Client(
            base_url=self._root, headers=headers, timeout=timeout, follow_redirects=True, transport=transport
        )
        self.pacing = pacing
        self.writes = 0
        self._last_write: float | None = None
        self._reset_at: float | None = None

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- public -------------------------------------------------------------------------------------

    def get_all(self, path: str, params: dict[str, str | int] | None = None) -> list[dict[str, Any]]:
        """Every item of a list endpoint, following `Link: rel="next"` to the last page."""
        items: list[dict[str, Any]] = []
        url: str | httpx.URL = path.lstrip("/")
        seen: set[str] = set()
        query: dict[str, str | int] | None = params
        for _ in range(_MAX_PAGES):
            response = self._request("GET", url, params=query)
            page = _json(response, "GET", path)
            if not isinstance(page, list):
                raise GitHubError(f"GitHub GET {path}: expected a list, got {type(page).__name__}")
            items += [item for item in page if isinstance(item, dict)]
            following = response.links.get("next", {}).get("url")
            if not following:
                return items
            url = self._same_origin(following, path)
            if str(url) in seen:
                raise GitHubError(f"GitHub GET {path}: pagination loops back to {url}")
            seen.add(str(url))
            query = None  # the next link carries the query
        raise GitHubError(f"GitHub GET {path}: more than {_MAX_PAGES} pages")

    def write(self, method: str, path: str, body: dict[str, Any] | None = None, *, idempotent: bool) -> Any:
        """Send one write, paced; a non-idempotent one that may have happened raises `AmbiguousWrite`."""
        response = self._request(method, path.lstrip("/"), json=body, write=True, idempotent=idempotent)
        return _json(response, method, path) if response.content else None

    def graphql(self, query: str, variables: dict[str, Any], *, mutation: bool) -> dict[str, Any]:
        """The `data` of one GraphQL request (mutations paced as writes); GitHubError for any `errors`."""
        name = query.split("(", 1)[0].split()[-1]
        response = self._request(
            "POST", self._graphql_url(), json={"query": query, "variables": variables}, write=mutation
        )
        answer = _json(response, "POST", "graphql")
        if not isinstance(answer, dict):
            raise GitHubError(f"GitHub GraphQL {name}: the answer is not an object; check --api-url")
        problems = [str(e.get("message", e)) for e in answer.get("errors") or [] if isinstance(e, dict)]
        if problems or not isinstance(answer.get("data"), dict):
            said = "; ".join(problems) or "no data"
            raise GitHubError(
                f"GitHub GraphQL {name}: {said}; check [trackers.github] project and that the token may use it "
                "(a classic token needs the `project` scope)"
            )
        data: dict[str, Any] = answer["data"]
        return data

    # -- internals ----------------------------------------------------------------------------------

    def _graphql_url(self) -> httpx.URL:
        # github.com: https://api.github.com/graphql; Enterprise: REST at /api/v3, GraphQL at /api/graphql.
        path = self._root.path.rstrip("/")
        path = path.removesuffix("/v3") if path.endswith("/api/v3") else path
        return self._root.copy_with(path=f"{path}/graphql")

    def _same_origin(self, link: str, path: str) -> httpx.URL:
        url = httpx.URL(link)
        # The token must never follow a Link header to another host.
        if (url.scheme, url.host, url.port) != (self._root.scheme, self._root.host, self._root.port):
            raise GitHubError(f"GitHub GET {path}: next page {link} is on another host; refusing to follow")
        return url

    def _request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        params: dict[str, str | int] | None = None,
        json: dict[str, Any] | None = None,
        write: bool = False,
        idempotent: bool = True,
    ) -> httpx.Response:
        shown = f"{method} /{str(url).removeprefix(str(self._root))}"
        failures = 0
        limited = 0
        while True:
            self._wait_for_reset(shown)
            if write:
                self._pace()
            try:
                response = self._http.request(method, url, params=params, json=json)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                if _unresolved(exc):
                    # A host name that does not resolve will not resolve in a few seconds either: no retries.
                    raise GitHubError(
                        f"GitHub {shown}: cannot resolve {self._root.host} ({exc}); check the network or --api-url"
                    ) from exc
                # Nothing reached the server: always safe to try again.
                failures = self._failed(shown, failures, f"cannot connect: {exc}")
                continue
            except httpx.TransportError as exc:
                if write and not idempotent:
                    self._wrote()
                    raise AmbiguousWrite(f"GitHub {shown}: connection lost before an answer ({exc})") from exc
                failures = self._failed(shown, failures, f"connection lost: {exc}")
                continue
            except (httpx.TooManyRedirects, httpx.DecodingError) as exc:
                # The server answered, so a write may have happened; asking again would get the same answer.
                kind = "too many redirects" if isinstance(exc, httpx.TooManyRedirects) else "cannot decode the answer"
                error = AmbiguousWrite if write and not idempotent else GitHubError
                raise error(f"GitHub {shown}: {kind} ({exc}); check --api-url") from exc
            if write:
                self._wrote()
            self._note_limits(response)
            if _rate_limited(response):
                limited += 1
                if limited > self.pacing.max_attempts:
                    raise GitHubError(
                        f"GitHub {shown}: still rate limited after {limited - 1} waits; try again later",
                        status=response.status_code,
                    )
                self._wait(self._limit_delay(response, limited), shown)
                continue
            if response.status_code >= 500:
                detail = f"{response.status_code} {_message(response)}"
                if write and not idempotent:
                    raise AmbiguousWrite(f"GitHub {shown}: {detail}", status=response.status_code)
                failures = self._failed(shown, failures, detail)
                continue
            if response.status_code >= 400:
                raise GitHubError(_refusal(shown, response), status=response.status_code)
            return response

    def _failed(self, shown: str, failures: int, detail: str) -> int:
        failures += 1
        if failures >= self.pacing.max_attempts:
            raise GitHubError(f"GitHub {shown}: {detail} (gave up after {failures} attempts); try again later")
        self.pacing.sleep(self.pacing.backoff_delay(failures))
        return failures

    def _pace(self) -> None:
        if self._last_write is None:
            return
        gap = self._last_write + self.pacing.min_interval - self.pacing.monotonic()
        if gap > 0:
            self.pacing.sleep(gap)

    def _wrote(self) -> None:
        self.writes += 1
        self._last_write = self.pacing.monotonic()

    def _note_limits(self, response: httpx.Response) -> None:
        reset = _number(response.headers.get("x-ratelimit-reset"))
        if response.headers.get("x-ratelimit-remaining", "").strip() == "0" and reset is not None:
            self._reset_at = reset
        elif response.headers.get("x-ratelimit-remaining") is not None:
            self._reset_at = None

    def _wait_for_reset(self, shown: str) -> None:
        if self._reset_at is None:
            return
        delay = self._reset_at - self.pacing.now() + 1  # reset is whole seconds: one more to be past it
        self._reset_at = None
        if delay > 0:
            self._wait(delay, shown)

    def _limit_delay(self, response: httpx.Response, attempt: int) -> float:
        retry_after = _retry_after(response.headers.get("retry-after"), self.pacing.now())
        if retry_after is not None:
            return retry_after
        reset = _number(response.headers.get("x-ratelimit-reset"))
        if response.headers.get("x-ratelimit-remaining", "").strip() == "0" and reset is not None:
            self._reset_at = None  # waited for here, not again before the retry
            return max(reset - self.pacing.now() + 1, 0.0)
        return float(_UNNAMED_LIMIT_WAIT * 2 ** (attempt - 1))

    def _wait(self, delay: float, shown: str) -> None:
        if delay > self.pacing.max_wait:
            raise GitHubError(
                f"GitHub {shown}: rate limited; GitHub asks to wait {delay:.0f}s, over --max-wait "
                f"{self.pacing.max_wait:.0f}s; run again later or raise --max-wait"
            )
        self.pacing.sleep(delay)


def _unresolved(exc: BaseException) -> bool:
    """Whether a connection failed on the name lookup (socket.gaierror anywhere in its chain)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _rate_limited(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    headers = response.headers
    return (
        "retry-after" in headers
        or headers.get("x-ratelimit-remaining", "").strip() == "0"
        or "rate limit" in _message(response).lower()
    )


def _retry_after(value: str | None, now: float) -> float | None:
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    # NaN compares false with every limit and then makes time.sleep raise: no number at all.
    return None if number is not None and math.isnan(number) else number


def _json(response: httpx.Response, method: str, path: str) -> Any:
    try:
        return parse_json(response.content)
    except ValueError as exc:
        raise GitHubError(f"GitHub {method} {path}: the answer is not JSON ({exc}); check --api-url") from exc


def _message(response: httpx.Response) -> str:
    try:
        data = parse_json(response.content)
    except ValueError:
        return " ".join(response.text.split())[:200] or response.reason_phrase
    if not isinstance(data, dict):
        return response.reason_phrase
    message = str(data.get("message") or response.reason_phrase)
    details = [
        str(e.get("message") or ", ".join(f"{k}={e[k]}" for k in sorted(e) if k != "message"))
        for e in data.get("errors") or []
        if isinstance(e, dict)
    ]
    return f"{message} ({'; '.join(details)})" if details else message


_HINTS = {
    401: "check GITHUB_TOKEN: it is missing, expired or wrong",
    403: "the token lacks permission: it needs Issues read and write on this repository",
    404: "check the [repos.<name>.tracker] github setting and that the token can see the repository",
    410: "issues are disabled on this repository; enable them or change the github setting",
    422: "GitHub rejected the data; the message above says which field",
}


def _refusal(shown: str, response: httpx.Response) -> str:
    hint = _HINTS.get(response.status_code)
    text = f"GitHub {shown}: {response.status_code} {_message(response)}"
    return f"{text}; {hint}" if hint else text
