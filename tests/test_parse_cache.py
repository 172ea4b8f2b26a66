"""The content-hash cache of parsed Terraform files: hits give the same results, changes miss, bad
entries are ignored, and ``--no-cache`` leaves nothing behind."""
from __future__ import annotations

import dataclasses
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from test_tf_support import scan, write_tree

from iacgate.adapters.terraform import loader as tf_loader
from iacgate.adapters.terraform.hcl import parse_file
from iacgate.adapters.terraform.loader import TerraformOptions, load_terraform
from iacgate.parse_cache import (
    CACHE_SUBDIR,
    ParseCache,
    cache_key,
    default_cache_dir,
    syntax_of,
)
from iacgate.raw import LoadResult

STACK = {
    "main.tf": """
        variable "env" {
          default = "prod"
        }

        locals {
          name = "logs-${var.env}"
        }

        resource "aws_s3_bucket" "logs" {
          bucket = local.name
        }

        resource "aws_s3_bucket_acl" "logs" {
          bucket = aws_s3_bucket.logs.id
          acl    = "public-read"
        }
        """,
    "instance.tf": """
        # iacgate:ignore IMDS-001 reason="legacy agent" until=2099-01-01
        resource "aws_instance" "web" {
          ami           = "ami-12345678"
          instance_type = "t3.micro"
          metadata_options {
            http_tokens = "optional"
          }
        }
        """,
    "terraform.tfvars": 'env = "staging"\n',
    "extra.tf.json": json.dumps({"resource": {"aws_s3_bucket": {"data": {"bucket": "${var.env}-data"}}}}),
}


def snapshot(result: LoadResult) -> tuple[list[dict], list, list[str]]:
    return ([dataclasses.asdict(r) for r in result.resources], list(result.errors), list(result.files))


def load(root: Path, cache_dir: Path | None) -> LoadResult:
    return load_terraform(scan(root), TerraformOptions(cache_dir=str(cache_dir) if cache_dir else None))


def entries(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.rglob("*.pickle"))


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []

    def counting(path: str, text: str, lean: bool = False):  # type: ignore[no-untyped-def]
        parsed.append(os.path.basename(path))
        return parse_file(path, text, lean)

    monkeypatch.setattr(tf_loader, "parse_file", counting)
    return parsed


def test_cache_hit_gives_identical_results_without_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path / "stack", STACK)
    uncached = snapshot(load(tmp_path / "stack", None))
    first = snapshot(load(tmp_path / "stack", tmp_path / "cache"))
    assert len(entries(tmp_path / "cache")) == len(STACK)
    parsed = count_parses(monkeypatch)
    second = snapshot(load(tmp_path / "stack", tmp_path / "cache"))
    assert parsed == []
    assert first == uncached
    assert second == uncached
    resources = {r["address"]: r for r in second[0]}
    assert resources["aws_s3_bucket.logs"]["attrs"]["bucket"] == "logs-staging"
    assert resources["aws_instance.web"]["meta"]["ignore"][0]["rule"] == "IMDS-001"


def test_changed_file_misses_and_its_new_content_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path / "stack", STACK)
    load(tmp_path / "stack", tmp_path / "cache")
    main_tf = tmp_path / "stack" / "main.tf"
    main_tf.write_text(main_tf.read_text(encoding="utf-8").replace("public-read", "private"), encoding="utf-8")
    parsed = count_parses(monkeypatch)
    result = load(tmp_path / "stack", tmp_path / "cache")
    assert parsed == ["main.tf"]
    acl = next(r for r in result.resources if r.address == "aws_s3_bucket_acl.logs")
    assert acl.attrs["acl"] == "private"
    assert snapshot(result) == snapshot(load(tmp_path / "stack", None))


def test_same_content_at_another_path_is_a_hit_reported_at_its_own_path(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path / "a", {"main.tf": STACK["main.tf"]})
    write_tree(tmp_path / "b", {"main.tf": STACK["main.tf"]})
    load(tmp_path / "a", tmp_path / "cache")
    parsed = count_parses(monkeypatch)
    result = load(tmp_path / "b", tmp_path / "cache")
    assert parsed == []
    assert {r.file for r in result.resources if r.mode == "managed"} == {str(tmp_path / "b" / "main.tf")}


@pytest.mark.parametrize("payload", [b"", b"not a pickle at all", pickle.dumps({"blocks": []})[:-3],
                                     pickle.dumps(("ParsedFile", "but", "a", "plain tuple"))])
def test_corrupt_entry_is_ignored_and_rewritten(tmp_path: Path, payload: bytes) -> None:
    write_tree(tmp_path / "stack", STACK)
    expected = snapshot(load(tmp_path / "stack", tmp_path / "cache"))
    for entry in entries(tmp_path / "cache"):
        entry.write_bytes(payload)
    assert snapshot(load(tmp_path / "stack", tmp_path / "cache")) == expected
    cache = ParseCache(str(tmp_path / "cache"))
    data = (tmp_path / "stack" / "main.tf").read_bytes()
    assert cache.get(cache.key(data, "main.tf"), "main.tf") is not None  # rewritten with a good entry


class _RunsCommand:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, ("touch pwned-by-cache",))


def test_entry_naming_other_classes_is_refused_not_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cache = ParseCache(str(tmp_path / "cache"), fingerprint="test")
    data = STACK["main.tf"].encode()
    key = cache.key(data, "main.tf")
    cache.put(key, parse_file("main.tf", STACK["main.tf"]))
    entry = entries(tmp_path / "cache")[0]
    entry.write_bytes(pickle.dumps(_RunsCommand()))
    assert cache.get(key, "main.tf") is None
    assert not (tmp_path / "pwned-by-cache").exists()


def test_key_covers_bytes_syntax_and_parser_versions() -> None:
    data = b'bucket = "x"\n'
    base = cache_key(data, "hcl", "iacgate=1;python-hcl2=8.1.4")
    assert cache_key(data, "hcl", "iacgate=1;python-hcl2=8.1.4") == base
    assert cache_key(data + b" ", "hcl", "iacgate=1;python-hcl2=8.1.4") != base
    assert cache_key(data, "hcl", "iacgate=2;python-hcl2=8.1.4") != base
    assert cache_key(data, "hcl", "iacgate=1;python-hcl2=8.2.0") != base
    assert cache_key(data, "tf.json", "iacgate=1;python-hcl2=8.1.4") != base
    assert [syntax_of(p) for p in ("a.tf", "a.tfvars", "a.tf.json", "a.tfvars.json")] == \
        ["hcl", "hcl", "tf.json", "tfvars.json"]


def test_default_cache_dir_follows_xdg_cache_home(tmp_path: Path) -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == str(tmp_path / "iacgate")
    assert default_cache_dir({}).endswith(os.path.join(".cache", "iacgate"))


def test_unwritable_cache_folder_does_not_stop_the_scan(tmp_path: Path) -> None:
    write_tree(tmp_path / "stack", STACK)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    assert snapshot(load(tmp_path / "stack", blocker)) == snapshot(load(tmp_path / "stack", None))


# -- the command line


def run_check(cwd: Path, *args: str, cache_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    return subprocess.run([sys.executable, "-m", "iacgate", "check", "stack", "-f", "json", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def findings_of(proc: subprocess.CompletedProcess[str]) -> list[dict]:
    report = json.loads(proc.stdout)
    return report["findings"]


def test_cli_caches_in_the_user_cache_dir_and_no_cache_writes_nothing(tmp_path: Path) -> None:
    write_tree(tmp_path / "stack", STACK)
    home = tmp_path / "xdg"
    no_cache = run_check(tmp_path, "--no-cache", cache_home=home)
    assert no_cache.returncode == 1, no_cache.stderr
    assert not home.exists()
    cached = run_check(tmp_path, cache_home=home)
    assert len(entries(home / "iacgate" / CACHE_SUBDIR)) == len(STACK)
    warm = run_check(tmp_path, cache_home=home)
    assert findings_of(no_cache) == findings_of(cached) == findings_of(warm)
    assert ("IG-S3-001", "aws_s3_bucket.logs") in {(f["rule_id"], f["resource"]["address"]) for f in findings_of(warm)}


def test_cli_cache_dir_option_and_config_key(tmp_path: Path) -> None:
    write_tree(tmp_path / "stack", STACK)
    home = tmp_path / "xdg"
    run_check(tmp_path, "--cache-dir", "own-cache", cache_home=home)
    assert entries(tmp_path / "own-cache") and not home.exists()
    (tmp_path / ".iacgate.yaml").write_text("cache: false\n", encoding="utf-8")
    run_check(tmp_path, cache_home=home)
    assert not home.exists()
    (tmp_path / ".iacgate.yaml").write_text("cache: configured-cache\n", encoding="utf-8")
    run_check(tmp_path, cache_home=home)
    assert entries(tmp_path / "configured-cache") and not home.exists()
