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
