"""A plan file is read a piece at a time (``adapters/plan/stream.py``): the resources, errors and
warnings are exactly those of decoding the whole text, whatever the order of the top-level keys and
however the text is laid out; anything the piecewise reader does not take apart is decoded whole, with
the same result or the same error as before."""
from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import pytest

from iacgate.adapters.plan import stream
from iacgate.adapters.plan.changes import _unknown_leaf
from iacgate.adapters.plan.loader import (
    decode_plan,
    load_plan,
    load_plan_text,
    looks_like_plan,
    without_unread_parts,
)
from iacgate.adapters.plan.stream import NotStreamable, read_plan
from iacgate.load import _load_plan
from iacgate.raw import LoadResult
from iacgate.values import Unknown

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_PLANS = sorted((ROOT / "tests" / "fixtures" / "plan").glob("*/plan.json"))
PLAN_FILE = "plan.json"


def _change(address: str, actions: list[str], after: dict, before: dict | None = None,
            after_unknown: dict | None = None) -> dict:  # type: ignore[type-arg]
    resource_type, name = address.split(".")[-2:]
    return {"address": address, "mode": "managed", "type": resource_type, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": actions, "before": before, "after": after,
                       "after_unknown": after_unknown or {}, "before_sensitive": {}, "after_sensitive": {}}}


def _plan(buckets: int = 6) -> dict:  # type: ignore[type-arg]
    changes = []
    for n in range(buckets):
        bucket = {"bucket": f"acme-{n}", "acl": "public-read" if n % 2 else "private", "tags": {"n": str(n)},
                  # objects in a list whose first key is "address": the reader's run boundary, nested
                  "grant": [{"address": "10.0.0.1", "id": "a"}, {"address": "10.0.0.2", "id": "b"}]}
        if n % 3 == 0:
            changes.append(_change(f"aws_s3_bucket.b{n}", ["create"], bucket, None, {"arn": True, "id": True}))
        else:
            changes.append(_change(f"aws_s3_bucket.b{n}", ["no-op" if n % 3 == 1 else "update"],
                                   bucket, {**bucket, "acl": "private"}))
    changes.append({"address": "aws_s3_bucket.broken", "mode": "managed", "type": "aws_s3_bucket",
                    "name": "broken", "change": {"actions": []}})  # an entry that is an input error
    changes.append("not an object")
    resources = [{"address": c["address"], "mode": "managed", "type": "aws_s3_bucket",
                  "name": c["address"].split(".")[-1], "values": {"bucket": "x"}} for c in changes[:3]]
    return {"format_version": "1.2", "terraform_version": "1.9.8",
            "variables": {"region": {"value": "eu-west-1"}},
            "planned_values": {"outputs": {"name": {"sensitive": False, "value": "acme-0"}},
                               "root_module": {"resources": resources,
                                               "child_modules": [{"address": "module.m", "resources": resources}]}},
            "resource_changes": changes,
            "output_changes": {"name": {"actions": ["create"], "before": None, "after": "acme-0",
                                        "after_unknown": False}},
            "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": resources}}},
            "configuration": {"root_module": {"resources": [
                {"address": "aws_s3_bucket.b1", "mode": "managed", "type": "aws_s3_bucket", "name": "b1",
                 "expressions": {"bucket": {"constant_value": "acme-1"}, "grant": [{"id": {}}]}}]}},
            "relevant_attributes": [], "timestamp": "2026-01-01T00:00:00Z", "applyable": True,
            "complete": True, "errored": False}


def _whole(text: str) -> LoadResult | None:
    """What decoding the whole text makes of it (the reader's fallback, and how plans were read)."""
    plan, error = decode_plan(PLAN_FILE, text)
    if error is not None:
        return LoadResult(errors=[error], files=[PLAN_FILE])
    if not looks_like_plan(plan):
        return None
    return load_plan(PLAN_FILE, without_unread_parts(plan))


def _loaded(text: str | bytes) -> LoadResult | None:
    result = _load_plan(PLAN_FILE, [text])
    if result is not None:
        for resource in result.resources:
            resource.stack = ""
    return result


def _streamed(text: str) -> LoadResult | None:
    return load_plan_text(PLAN_FILE, [text])


def _same(a: LoadResult | None, b: LoadResult | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.resources == b.resources and a.errors == b.errors
            and [pickle.dumps(r.attrs) for r in a.resources] == [pickle.dumps(r.attrs) for r in b.resources])


@pytest.fixture(params=["runs", "one by one"])
def small_runs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs of elements a few hundred characters long, so small plans take the same paths as big ones
    (or, for "one by one", every element alone)."""
    if request.param == "runs":
        monkeypatch.setattr(stream, "_RUN_CHARS", 200)
        monkeypatch.setattr(stream, "_RUN_LIMIT", 2000)
    else:
        monkeypatch.setattr(stream, "_RUN_CHARS", 1 << 40)
    return str(request.param)


def _layouts(plan: dict) -> list[str]:  # type: ignore[type-arg]
    return [json.dumps(plan, separators=(",", ":")), json.dumps(plan, indent=2), json.dumps(plan)]


def test_the_generated_plan_loads_as_from_the_whole_text(small_runs: str) -> None:
    for text in _layouts(_plan()):
        streamed = _streamed(text)
        assert streamed is not None and _same(streamed, _whole(text))
        assert len([r for r in streamed.resources if r.mode == "managed"]) == 7
        assert [e.message for e in streamed.errors] == ["aws_s3_bucket.broken: the change lists no actions",
                                                        "resource_changes[7] is not a JSON object"]


@pytest.mark.parametrize("path", FIXTURE_PLANS, ids=lambda p: p.parent.name)
def test_fixture_plans_load_as_from_the_whole_text(path: Path, small_runs: str) -> None:
    plan = json.loads(path.read_text(encoding="utf-8"))
    for text in [path.read_text(encoding="utf-8"), *_layouts(plan)]:
        assert _streamed(text) is not None
        assert _same(_streamed(text), _whole(text))


def test_run_elements_are_the_decoded_elements(small_runs: str) -> None:
    plan = _plan(buckets=40)
    for text in _layouts(plan):
        seen: list[object] = []
        members = read_plan(text, seen.extend)
        assert seen == plan["resource_changes"]
        assert members["resource_changes"] == [] and "prior_state" not in members
        assert members["planned_values"] == {"outputs": plan["planned_values"]["outputs"]}
        assert members["configuration"] == plan["configuration"]


@pytest.mark.parametrize("order", ["changes first", "reversed", "format_version last"])
def test_top_level_keys_in_any_order(order: str, small_runs: str) -> None:
    plan = _plan()
    keys = list(plan)
    if order == "changes first":
        keys = ["resource_changes"] + [k for k in keys if k != "resource_changes"]
    elif order == "reversed":
        keys.reverse()
    else:
        keys = [k for k in keys if k != "format_version"] + ["format_version"]
    text = json.dumps({k: plan[k] for k in keys}, separators=(",", ":"))
    streamed = _streamed(text)
    assert streamed is not None and _same(streamed, _whole(text)) and streamed.resources


@pytest.mark.parametrize("change", [
    lambda p: p.pop("resource_changes"),  # no changes: planned_values are the resources
    lambda p: p.update(resource_changes={"not": "a list"}),
    lambda p: p.pop("format_version"),  # JSON, not a plan
    lambda p: p.update(format_version="9.0"),
    lambda p: p.update(errored=True),
])
def test_plans_the_reader_leaves_to_the_whole_decode_load_as_before(change, small_runs: str) -> None:  # type: ignore[no-untyped-def]
    plan = _plan()
    change(plan)
    text = json.dumps(plan, separators=(",", ":"))
    assert _same(_loaded(text), _whole(text))
    if "resource_changes" not in plan or not isinstance(plan["resource_changes"], list):
        with pytest.raises(NotStreamable):
            _streamed(text)


def test_a_repeated_top_level_key_is_decoded_whole_and_the_last_one_counts(small_runs: str) -> None:
    plan = _plan()
    compact = json.dumps(plan, separators=(",", ":"))
    later = json.dumps(plan["resource_changes"][:1], separators=(",", ":"))
    text = compact[:-1] + ',"resource_changes":' + later + "}"
    with pytest.raises(NotStreamable):
        _streamed(text)
    loaded = _loaded(text)
    assert _same(loaded, _whole(text))
    assert loaded is not None and [r.address for r in loaded.resources if r.mode == "managed"] == [
        "aws_s3_bucket.b0"]


@pytest.mark.parametrize("damage", [
    lambda t: t[: len(t) // 2],  # truncated
    lambda t: t[: len(t) // 3] + "\n}" + t[len(t) // 3:],  # a stray bracket
    lambda t: t.replace('"acl":', '"acl"', 1),  # a missing colon
    lambda t: t.replace('"acme-1"', '"acme-1",', 1),  # a trailing comma
    lambda t: t + " {}",  # extra data
    lambda t: t.replace('"acme-2"', "1" * 5000, 1),  # a number too long for int()
    lambda t: t.replace('"acme-2"', "NaN", 1),  # accepted by json.loads
    lambda t: t.replace('"acme-3"', "[" * 50000 + "]" * 50000, 1),  # nested too deeply
    lambda t: t.replace('"acme-3"', '"\\ud800"', 1),  # a lone surrogate escape
    lambda t: "\ufeff" + t,  # a byte-order mark left in the text
    lambda t: t.replace('"acme-4"', '"a\tb"', 1),  # a control character in a string
])
def test_damaged_plans_give_the_errors_of_the_whole_decode(damage, small_runs: str) -> None:  # type: ignore[no-untyped-def]
    for text in _layouts(_plan()):
        damaged = damage(text)
        assert _same(_loaded(damaged), _whole(damaged))


def test_malformed_plan_error_names_its_line(small_runs: str) -> None:
    text = json.dumps(_plan(), indent=2)
    lines = text.split("\n")
    lines[40] = lines[40] + " ]"
    loaded = _loaded("\n".join(lines))
    assert loaded is not None and len(loaded.errors) == 1
    assert loaded.errors[0].line == 41 and loaded.errors[0].message.startswith("invalid JSON: ")


def test_a_plan_given_as_bytes_is_decoded_whole() -> None:
    text = json.dumps(_plan())
    with pytest.raises(NotStreamable):
        load_plan_text(PLAN_FILE, [text.encode()])
    assert _same(_loaded(text.encode()), _whole(text))


def test_the_text_is_let_go_only_when_a_plan_was_read() -> None:
    plan_holder: list[bytes | str] = [json.dumps(_plan())]
    assert load_plan_text(PLAN_FILE, plan_holder) is not None and plan_holder == []
    not_a_plan = copy.deepcopy(_plan())
    del not_a_plan["format_version"]
    holder: list[bytes | str] = [json.dumps(not_a_plan)]
    assert load_plan_text(PLAN_FILE, holder) is None and len(holder) == 1
    broken: list[bytes | str] = ['{"format_version": "1.2", "resource_changes": [}']
    with pytest.raises(NotStreamable):
        load_plan_text(PLAN_FILE, broken)
    assert len(broken) == 1


def test_unknown_leaves_read_as_plain_unknowns() -> None:
    for address, path, reason in (("aws_s3_bucket.b", "arn", "aws_s3_bucket.b.arn"),
                                  ("aws_s3_bucket.b", "", "aws_s3_bucket.b"),
                                  ('module.m["k"].aws_x.y[0]', "[1].id", 'module.m["k"].aws_x.y[0][1].id')):
        leaf = _unknown_leaf(address, path)
        plain = Unknown(f"{reason} is known only after apply")
        assert isinstance(leaf, Unknown) and leaf.reason == plain.reason
        assert leaf == plain and hash(leaf) == hash(plain)
        assert (leaf.shape, leaf.derived_from) == (None, ())
        copied = pickle.loads(pickle.dumps(leaf))
        assert type(copied) is Unknown and copied.reason == plain.reason
