"""Every CloudFormation file of the shared corpus loads without an exception."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from iacgate.adapters.cloudformation.loader import (load_cloudformation_document, looks_like_cloudformation,
                                                    parse_document)

SHARED = Path(__file__).parents[2] / "shared"
CORPUS = SHARED / "corpus"
SUFFIXES = (".yaml", ".yml", ".json", ".template")


def _cloudformation_inputs() -> list[Path]:
    out = []
    for expected in sorted(CORPUS.glob("*/*/expected.json")):
        if json.loads(expected.read_text(encoding="utf-8")).get("kind") != "cloudformation":
            continue
        out.extend(p for p in sorted(expected.parent.iterdir())
                   if p.suffix in SUFFIXES and p.name != "expected.json")
    return out


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not present at {CORPUS}")
def test_every_corpus_template_loads():
    files = _cloudformation_inputs()
    assert files, "no CloudFormation case in the corpus"
    invalid: list[str] = []
    loaded = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        parsed, error = parse_document(str(path), text)
        if error is not None:
            invalid.append(f"{path.relative_to(CORPUS)}:{error.line}: {error.message}")
            continue
        if not looks_like_cloudformation(parsed):
            invalid.append(f"{path.relative_to(CORPUS)}: not recognised as CloudFormation")
            continue
        result = load_cloudformation_document(str(path), parsed)
        invalid.extend(f"{path.relative_to(CORPUS)}:{e.line}: {e.message}"
                       for e in result.errors if e.kind == "error")
        assert all(r.line is not None and r.end_line is not None and r.line <= r.end_line
                   for r in result.resources), path
        loaded += 1
    print(f"\n{loaded} of {len(files)} corpus CloudFormation files loaded; invalid: {invalid or 'none'}")
    assert loaded == len(files), invalid


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not present at {CORPUS}")
def test_corpus_lines_fall_inside_resource_spans():
    """Where upstream asserts a line for a resource, it lies inside that resource's span."""
    outside = []
    for expected_path in sorted(CORPUS.glob("*/*/expected.json")):
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        if expected.get("kind") != "cloudformation":
            continue
        spans: dict[str, tuple[int, int]] = {}
        for path in sorted(expected_path.parent.iterdir()):
            if path.suffix not in SUFFIXES or path.name == "expected.json":
                continue
            parsed, error = parse_document(str(path), path.read_text(encoding="utf-8", errors="replace"))
            if error is None:
                for r in load_cloudformation_document(str(path), parsed).resources:
                    spans[r.address] = (r.line, r.end_line)
        for item in expected.get("expect", []):
            span = spans.get(item["resource"])
            if item.get("line") and span and not span[0] <= item["line"] <= span[1]:
                outside.append((expected_path.parent.name, item["resource"], item["line"], span))
    assert not outside, outside
