"""Unknown values name what they derive from; resources with no after-apply value skip that walk and
come out exactly as when every resource is walked."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from iacgate.adapters.plan import loader as plan_loader
from iacgate.adapters.plan.loader import load_plan
from iacgate.values import Unknown

ROOT = Path(__file__).resolve().parents[1]
PLANS = sorted([*ROOT.glob("tests/fixtures/plan/*/plan.json"), *ROOT.glob("examples/plan/*.plan.json")])


def snapshot(path: Path) -> list[dict]:  # type: ignore[type-arg]
    plan = json.loads(path.read_text(encoding="utf-8"))
    result = load_plan(str(path), plan)
    return [dataclasses.asdict(r) for r in result.resources]


def unknowns(value: object) -> list[Unknown]:
    if isinstance(value, Unknown):
        return [value]
    if isinstance(value, dict):
        return [u for v in value.values() for u in unknowns(v)]
    if isinstance(value, list):
        return [u for v in value for u in unknowns(v)]
    return []


def test_the_fixtures_hold_derived_unknowns() -> None:
    assert PLANS
    derived = [u for path in PLANS for r in load_plan(str(path), json.loads(path.read_text(encoding="utf-8"))).resources
               for u in unknowns(r.attrs) if u.derived_from]
    assert derived, "no fixture exercises an unknown value derived from another resource"


@pytest.mark.parametrize("path", PLANS, ids=lambda p: str(p.relative_to(ROOT)))
def test_skipping_resources_without_unknowns_changes_nothing(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skipped = snapshot(path)
    monkeypatch.setattr(plan_loader, "has_unknown", lambda mask: True)  # walk every resource with references
    assert snapshot(path) == skipped


def _change(actions: list[str], before: dict | None, after: dict | None) -> dict:  # type: ignore[type-arg]
    return {"address": "aws_s3_bucket.data", "mode": "managed", "type": "aws_s3_bucket", "name": "data",
            "change": {"actions": actions, "before": before, "after": after, "after_unknown": {},
                       "before_sensitive": {}, "after_sensitive": {}}}


def _loaded(change: dict) -> object:  # type: ignore[type-arg]
    plan = {"format_version": "1.2", "planned_values": {}, "resource_changes": [change]}
    [resource] = [r for r in load_plan("plan.json", plan).resources if r.address == "aws_s3_bucket.data"]
    return resource


def test_a_resource_left_alone_keeps_one_tree_for_its_prior_and_planned_value() -> None:
    same = _loaded(_change(["no-op"], {"bucket": "acme", "tags": {"a": "b"}}, {"bucket": "acme", "tags": {"a": "b"}}))
    assert same.before is same.attrs  # type: ignore[attr-defined]
    assert same.attrs == {"bucket": "acme", "tags": {"a": "b"}}  # type: ignore[attr-defined]
    updated = _loaded(_change(["update"], {"bucket": "acme", "tags": {}}, {"bucket": "acme", "tags": {"a": "b"}}))
    assert updated.before == {"bucket": "acme", "tags": {}}  # type: ignore[attr-defined]
    assert updated.attrs == {"bucket": "acme", "tags": {"a": "b"}}  # type: ignore[attr-defined]
    # A no-op whose values differ (a provider's normalisation) keeps both as written.
    drifted = _loaded(_change(["no-op"], {"bucket": "acme", "acl": "private"}, {"bucket": "acme"}))
    assert drifted.before == {"bucket": "acme", "acl": "private"}  # type: ignore[attr-defined]
    assert drifted.attrs == {"bucket": "acme"}  # type: ignore[attr-defined]
