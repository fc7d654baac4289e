"""Issue 12, round 2: which evidence is enough on its own, and the surfaces a design implies outside its
API and Database sections."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.config import Config, parse_config
from planner.suggest import Suggestion, suggest_text

# A shop: `orders` serves REST and owns the database, `stock` serves gRPC, `shopfront` consumes REST.
CONFIG = """
version = 1

[repos.orders]
description = "Order service"
language = "go"
provides = ["rest", "database"]
aliases = ["backend", "order-svc"]

[repos.stock]
description = "Stock levels"
language = "go"
provides = ["grpc"]
aliases = ["inventory"]

[repos.shopfront]
description = "Customer web shop"
language = "typescript"
depends_on = ["orders"]
consumes = ["rest"]
aliases = ["frontend"]
"""


def config() -> Config:
    cfg, problems = parse_config(CONFIG, "repos.toml")
    assert cfg is not None, problems
    return cfg


def suggest(body: str, min_evidence: int = 1) -> Suggestion:
    text = "# Returns Design\n\n**Status:** Approved\n\n" + body
    suggestion, _ = suggest_text(text, "returns.md", config(), min_evidence=min_evidence)
    return suggestion


def evidence(s: Suggestion) -> dict[str, list[tuple[int, str, str]]]:
    return {r.name: [(e.line, e.kind, e.text) for e in r.evidence] for r in s.repos}


# -- bare-word aliases need corroboration ----------------------------------------------------------


def test_a_bare_word_alias_alone_suggests_nothing_however_often_it_is_said() -> None:
    s = suggest("## Plan\n\nThe frontend shows a banner.\n\nThe Frontend hides it again.\n")
    assert s.repos == ()


def test_a_bare_word_alias_counts_beside_the_repo_name_and_is_listed_as_evidence() -> None:
    s = suggest("## Plan\n\nThe frontend shows a banner.\n\nThe shopfront ships it.\n")
    assert evidence(s) == {"shopfront": [(7, "alias", "frontend"), (9, "name", "shopfront")]}


def test_a_bare_word_alias_counts_beside_a_path_of_the_repo() -> None:
    s = suggest("## Plan\n\nThe inventory check moves to `stock/check.go`.\n")
    assert evidence(s) == {"stock": [(7, "alias", "inventory"), (7, "path", "stock/check.go")]}


def test_an_alias_with_a_hyphen_is_distinctive_and_enough_alone() -> None:
    assert evidence(suggest("## Plan\n\nThe order-svc keeps returns.\n")) == {"orders": [(7, "alias", "order-svc")]}


def test_a_corroborated_bare_word_alias_counts_towards_min_evidence() -> None:
    body = "## Plan\n\nThe backend stores returns.\n\nThe orders team owns it.\n"
    assert [r.name for r in suggest(body, min_evidence=2).repos] == ["orders"]
    assert suggest(body, min_evidence=3).repos == ()


# -- surfaces implied outside the API and Database sections ----------------------------------------


def test_an_endpoint_in_a_code_block_is_surface_evidence_for_the_rest_provider_only() -> None:
    s = suggest("## Design\n\n```http\nPOST /returns\n```\n")
    assert evidence(s) == {"orders": [(8, "surface", "POST /returns")]}


def test_an_endpoint_the_planner_reads_in_prose_is_surface_evidence() -> None:
    # Surface evidence is what the planner itself takes (one rule): the code span is an endpoint; the list
    # item that runs on in prose ("lists them") stays prose for the planner, and so for suggest.
    s = suggest("## Design\n\n- GET /returns/status lists them\n\nCall `DELETE /returns/7` to undo.\n")
    assert evidence(s) == {"orders": [(9, "surface", "DELETE /returns/7")]}


def test_an_rpc_line_is_surface_evidence_for_the_grpc_provider() -> None:
    s = suggest("## Design\n\n```protobuf\nservice Stock {\n  rpc Reserve(ReserveRequest) returns (Ok);\n}\n```\n")
    assert evidence(s) == {"stock": [(9, "surface", "rpc Stock.Reserve")]}


def test_a_schema_statement_is_surface_evidence_for_the_database_provider() -> None:
    s = suggest("## Design\n\n```sql\nCREATE TABLE returns (id uuid);\nSELECT * FROM returns;\n```\n")
    assert evidence(s) == {"orders": [(8, "surface", "CREATE TABLE returns")]}
    body = "```sql\nalter table returns add column note text;\ncreate unique index r_id on returns (id);\n```\n"
    assert [e.line for e in suggest("## Design\n\n" + body).repos[0].evidence] == [8, 9]
    # In SQL's capitals the statement may go on on the next line.
    body = "```sql\nALTER TABLE returns\n    ADD COLUMN note TEXT;\nCREATE INDEX r_note\n    ON returns (note);\n```\n"
    assert [e.line for e in suggest("## Design\n\n" + body).repos[0].evidence] == [8, 10]


def test_implied_surfaces_in_a_context_section_give_nothing() -> None:
    assert suggest("## Current State\n\n```http\nPOST /returns\n```\n").repos == ()


def test_a_line_the_api_section_reads_is_one_piece_of_surface_evidence_not_two() -> None:
    s = suggest("## API Changes\n\n- POST /returns - create one\n")
    assert evidence(s) == {"orders": [(7, "surface", "POST /returns")]}


def test_an_implied_surface_corroborates_a_bare_word_alias() -> None:
    s = suggest("## Design\n\nThe backend gains an endpoint:\n\n```http\nPATCH /returns/7\n```\n")
    assert evidence(s) == {"orders": [(7, "alias", "backend"), (10, "surface", "PATCH /returns/7")]}


def test_words_that_only_look_like_surfaces_are_not() -> None:
    code = "get /x\ncreate table later\ndrop table soon\nalter table x now\nrpc is slow\nCREATE TABLE"
    body = f"## Design\n\nPOST requests are retried.\n\n```text\n{code}\n```\n"
    assert suggest(body).repos == ()


# -- properties -------------------------------------------------------------------------------------

_WORDS = st.sampled_from(["frontend", "Frontend", "inventory", "backend", "the", "shop", "returns", "and"])


@settings(max_examples=50, deadline=None)
@given(lines=st.lists(st.lists(_WORDS, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=6))
def test_prose_of_only_bare_word_aliases_never_suggests_a_repo(lines: list[str]) -> None:
    assert suggest("## Plan\n\n" + "\n\n".join(lines) + "\n").repos == ()


@settings(max_examples=50, deadline=None)
@given(lines=st.lists(st.lists(_WORDS, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=6))
def test_adding_bare_word_aliases_never_adds_a_repo_and_every_repo_has_more_than_bare_words(lines: list[str]) -> None:
    base = "## Plan\n\nThe shopfront and `stock/check.go` change.\n\n"
    before = [r.name for r in suggest(base).repos]
    after = suggest(base + "\n\n".join(lines) + "\n")
    assert [r.name for r in after.repos] == before
    for repo in after.repos:
        assert any(e.kind != "alias" or not e.text.isalpha() for e in repo.evidence)


# -- links to a repository ------------------------------------------------------------------------------


def test_a_link_into_a_repository_is_evidence_for_it() -> None:
    s = suggest("**Issue:** [shop/shopfront#4](https://github.com/shop/shopfront/issues/4)\n\n## Plan\n\nTBD.\n")
    assert evidence(s) == {
        "shopfront": [(5, "link", "https://github.com/shop/shopfront"), (5, "link", "shop/shopfront#4")]
    }


def test_a_bare_url_or_issue_reference_in_prose_is_evidence_on_any_host() -> None:
    s = suggest("## Plan\n\nSee https://git.example.org/team/stock.git and team/orders#12.\n")
    assert evidence(s) == {
        "orders": [(7, "link", "team/orders#12")],
        "stock": [(7, "link", "https://git.example.org/team/stock.git")],
    }
    s = suggest("## Plan\n\nAs in https://gitlab.com/team/stock, then https://gitlab.com/team/orders.\n")
    assert [r.name for r in s.repos] == ["orders", "stock"]


def test_a_link_names_a_repo_by_its_name_only_and_as_its_own_segment() -> None:
    body = "## Plan\n\nLike https://github.com/acme/backend, https://github.com/acme/stock-old and acme/stocks#3.\n"
    assert suggest(body).repos == ()


def test_a_link_corroborates_a_bare_word_alias() -> None:
    s = suggest("## Plan\n\nThe [frontend](https://github.com/shop/shopfront/pull/9) shows it.\n")
    assert evidence(s) == {"shopfront": [(7, "alias", "frontend"), (7, "link", "https://github.com/shop/shopfront")]}
