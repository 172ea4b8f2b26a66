"""The cache of checked rule documents: a hit skips YAML and the schema, a change or a bad entry misses,
and rule faults are reported exactly as without the cache."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_rules_loader import VALID_RULE as USER_RULE
from test_rules_loader import write

from iacgate.rules import loader
from iacgate.rules.loader import load_pack, load_rules, open_pack_cache
from iacgate.rules.pack_cache import (
    CACHE_SUBDIR,
    is_json_document,
    pack_fingerprint,
    pack_key,
)


def entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / CACHE_SUBDIR).glob("*.json"))


def count_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every rule file parsed from YAML (a miss), by the name it is reported under."""
    parsed: list[str] = []
    real = loader.parse_rule_text

    def counting(text: str, display: str):  # type: ignore[no-untyped-def]
        parsed.append(Path(display).name)
        return real(text, display)

    monkeypatch.setattr(loader, "parse_rule_text", counting)
    return parsed


def outcome(rules_and_errors: tuple[list[loader.Rule], list[loader.RuleError]]) -> tuple[list, list[str]]:
    rules, errors = rules_and_errors
    return ([(r.id, r.file, r.builtin, r.overrides, r.data) for r in rules], [repr(e) for e in errors])


def test_hit_gives_the_same_rules_without_yaml_or_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pack", "s3/versioning.yaml", USER_RULE)
    uncached = outcome(load_rules([str(tmp_path / "pack")]))
    first = outcome(load_rules([str(tmp_path / "pack")], cache_dir=str(tmp_path / "cache")))
    assert len(entries(tmp_path / "cache")) == 2  # the built-in pack and the user pack
    parsed = count_checks(monkeypatch)
    monkeypatch.setattr(loader, "schema_errors", lambda *_: pytest.fail("schema checked on a hit"))
    second = outcome(load_rules([str(tmp_path / "pack")], cache_dir=str(tmp_path / "cache")))
    assert parsed == []
    assert first == uncached
    assert second == uncached
    assert "acme.s3.versioning-required" in [rule_id for rule_id, *_ in second[0]]


def test_changed_rule_file_is_checked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule_file = write(tmp_path / "pack", "versioning.yaml", USER_RULE)
    load_pack(tmp_path / "pack", cache=open_pack_cache(str(tmp_path / "cache")))
    rule_file.write_text(USER_RULE.replace("severity: high", "severity: hihg"), encoding="utf-8")
    parsed = count_checks(monkeypatch)
    rules, errors = load_pack(tmp_path / "pack", cache=open_pack_cache(str(tmp_path / "cache")))
    assert parsed == ["versioning.yaml"]
    assert rules == []
    assert [e.pointer for e in errors] == ["/severity"]


def test_a_pack_with_faults_is_not_stored_and_reports_the_same_faults(tmp_path: Path) -> None:
    write(tmp_path / "pack", "good.yaml", USER_RULE)
    write(tmp_path / "pack", "bad.yaml", USER_RULE.replace("acme.s3.versioning-required", "acme.other")
          .replace("resource: s3_bucket", "resource: s3_bucket\nunknown_key: 1"))
    without = outcome(load_pack(tmp_path / "pack"))
    cache = str(tmp_path / "cache")
    assert outcome(load_pack(tmp_path / "pack", cache=open_pack_cache(cache))) == without
    assert outcome(load_pack(tmp_path / "pack", cache=open_pack_cache(cache))) == without
    assert entries(tmp_path / "cache") == []
    assert any("unknown_key" in message for message in without[1])


def test_compile_faults_are_found_again_on_a_hit(tmp_path: Path) -> None:
    # Schema-valid, but the fact path is unknown: found by the compiler, which runs on every load.
    write(tmp_path / "pack", "typo.yaml", USER_RULE.replace("versioning.enabled, not", "versioning.enabeld, not"))
    cache = str(tmp_path / "cache")
    first = outcome(load_pack(tmp_path / "pack", cache=open_pack_cache(cache)))
    second = outcome(load_pack(tmp_path / "pack", cache=open_pack_cache(cache)))
    assert len(entries(tmp_path / "cache")) == 1
    assert first == second == outcome(load_pack(tmp_path / "pack"))
    assert any("versioning.enabeld" in message for message in second[1])


@pytest.mark.parametrize("payload", [b"", b"{not json", b"[]", b'{"other.yaml": {}}', b"\xff\xfe"])
def test_corrupt_entry_is_a_miss_and_is_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  payload: bytes) -> None:
    write(tmp_path / "pack", "versioning.yaml", USER_RULE)
    cache = str(tmp_path / "cache")
    expected = outcome(load_pack(tmp_path / "pack", cache=open_pack_cache(cache)))
    [entry] = entries(tmp_path / "cache")
    entry.write_bytes(payload)
    parsed = count_checks(monkeypatch)
    assert outcome(load_pack(tmp_path / "pack", cache=open_pack_cache(cache))) == expected
    assert parsed == ["versioning.yaml"]
    assert json.loads(entry.read_text(encoding="utf-8"))["versioning.yaml"]["id"] == "acme.s3.versioning-required"


def test_no_cache_folder_reads_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pack", "versioning.yaml", USER_RULE)
    parsed = count_checks(monkeypatch)
    monkeypatch.chdir(tmp_path)
    load_rules([str(tmp_path / "pack")], cache_dir=None)
    load_rules([str(tmp_path / "pack")], cache_dir=None)
    assert parsed.count("versioning.yaml") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"]


def test_key_covers_file_names_texts_and_fingerprint() -> None:
    base = pack_key([("a.yaml", "id: x\n")], "fp")
    assert pack_key([("a.yaml", "id: x\n")], "fp") == base
    assert pack_key([("b.yaml", "id: x\n")], "fp") != base
    assert pack_key([("a.yaml", "id: y\n")], "fp") != base
    assert pack_key([("a.yaml", "id: x\n")], "fp2") != base
    assert pack_key([("a.yaml", "id: x\n"), ("b.yaml", "")], "fp") != base
    # A name and a text cannot be shifted into each other.
    assert pack_key([("a", "b.yaml")], "fp") != pack_key([("ab", ".yaml")], "fp")


def test_fingerprint_covers_the_schema_and_library_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    from iacgate.rules import pack_cache

    first = pack_fingerprint(b"{}")
    assert first is not None and "pyyaml=" in first and "jsonschema=" in first
    assert pack_fingerprint(b'{"type": "object"}') != first
    monkeypatch.setattr(pack_cache, "_distribution_version", lambda name: None)
    assert pack_fingerprint(b"{}") is None  # an unknown library version caches nothing


def test_only_json_documents_are_stored() -> None:
    import datetime as dt

    assert is_json_document({"a": [1, 2.5, "x", None, True, {"b": {}}]})
    assert not is_json_document({"a": dt.date(2024, 1, 1)})
    assert not is_json_document({1: "x"})
    assert not is_json_document({"a": float("nan")})
    assert not is_json_document({"a": {1, 2}})


def test_a_yaml_date_in_a_rule_is_left_to_the_loader(tmp_path: Path) -> None:
    import datetime as dt

    write(tmp_path / "pack", "versioning.yaml", USER_RULE + "x-reviewed: 2024-01-01\n")
    cache = str(tmp_path / "cache")
    first = outcome(load_pack(tmp_path / "pack", cache=open_pack_cache(cache)))
    assert entries(tmp_path / "cache") == []
    assert first == outcome(load_pack(tmp_path / "pack"))
    assert first[1] == [] and first[0][0][4]["x-reviewed"] == dt.date(2024, 1, 1)


def run_check(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iacgate", "check", "main.tf", "-f", "json", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_caches_rule_packs_in_the_cache_dir_and_no_cache_does_not(tmp_path: Path) -> None:
    write(tmp_path, "main.tf", 'resource "aws_s3_bucket" "data" {\n  bucket = "data"\n}\n')
    no_cache = run_check(tmp_path, "--no-cache", "--cache-dir", str(tmp_path / "cache"))
    assert no_cache.returncode in (0, 1), no_cache.stderr
    assert not (tmp_path / "cache" / CACHE_SUBDIR).exists()
    cached = run_check(tmp_path, "--cache-dir", str(tmp_path / "cache"))
    warm = run_check(tmp_path, "--cache-dir", str(tmp_path / "cache"))
    assert json.loads(no_cache.stdout)["findings"] == json.loads(cached.stdout)["findings"] \
        == json.loads(warm.stdout)["findings"]
    assert len(entries(tmp_path / "cache")) == 1
