"""Every real plan JSON in the shared labelled corpus loads, and satellites link to their buckets."""
from __future__ import annotations

from pathlib import Path

import pytest

from iacgate.adapters.plan.loader import decode_plan, load_plan, looks_like_plan

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"
SATELLITES = ("aws_s3_bucket_public_access_block", "aws_s3_bucket_policy", "aws_s3_bucket_acl")


def corpus_plans() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*.json")
                  if p.name != "expected.json" and b'"format_version"' in p.read_bytes()[:4096])


def test_corpus_plans_load_without_errors():
    plans = corpus_plans()
    if not plans:
        pytest.skip(f"the shared corpus is not available at {CORPUS}")
    for path in plans:
        plan, error = decode_plan(str(path), path.read_bytes())
        assert error is None, path
        assert looks_like_plan(plan), path
        result = load_plan(str(path), plan)
        assert [e for e in result.errors if e.kind == "error"] == [], path
        assert result.files == [str(path)]


def test_corpus_satellites_point_at_their_buckets():
    plans = corpus_plans()
    if not plans:
        pytest.skip(f"the shared corpus is not available at {CORPUS}")
    checked = 0
    for path in plans:
        plan, _ = decode_plan(str(path), path.read_bytes())
        resources = load_plan(str(path), plan).resources
        buckets = {r.address for r in resources if r.type == "aws_s3_bucket"}
        for resource in resources:
            if resource.type in SATELLITES and not resource.deleted:
                targets = resource.refs.get("bucket", [])
                assert targets and set(targets) <= buckets, (path, resource.address, targets)
                # In these fixtures each satellite sits beside its bucket, in the same module instance.
                assert all(t.startswith(resource.module) for t in targets)
                checked += 1
    assert checked >= 8
