"""Hostile and broken input, through the real command line.

Every input is generated here, in a temporary folder. Each one must end in one of two ways: an input
error (exit 2, a complete JSON report whose ``errors`` name the file, and the line where it is known),
or, where the input is legitimately readable, the correct verdict. Never a traceback, never exit 0
for something the gate could not read. The subprocess timeout only guards against a hang; it is not a
speed target (speed lives in ``bench/``).
"""
from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
PLAN_EXAMPLE = REPO / "examples" / "plan" / "public-website-bucket.plan.json"
HANG_GUARD_SECONDS = 300
DEPTH = 100_000
LONG_LINE_BYTES = 20 * 1024 * 1024

PUBLIC_TF = 'resource "aws_s3_bucket" "site" {\n  bucket = "site"\n  acl    = "public-read"\n}\n'
PUBLIC_CFN = ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Site:\n    Type: AWS::S3::Bucket\n"
              "    Properties:\n      AccessControl: PublicRead\n")
PUBLIC_ACL_RULE = "IG-S3-001"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def report(self) -> dict:
        assert self.stdout.strip(), f"no report on stdout; stderr: {self.stderr[-500:]}"
        return json.loads(self.stdout)


def check(cwd: Path, *args: str, fmt: str = "json", stdin: bytes | None = None) -> Run:
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / ".xdg-cache"), "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "iacgate", "check", *args, "--format", fmt], cwd=cwd,
                          input=stdin if stdin is not None else b"", capture_output=True,
                          timeout=HANG_GUARD_SECONDS, env=env)
    run = Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))
    assert "Traceback" not in run.stdout + run.stderr, run.stderr[-2000:]
    assert "internal error" not in run.stderr, run.stderr[-2000:]
    return run


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def assert_input_error(run: Run, file: str, *, line: int | None = None, says: str = "") -> dict:
    """Exit 2 with a full JSON report whose errors name ``file`` (and ``line``, when given)."""
    assert run.returncode == 2, (run.returncode, run.stdout[:2000], run.stderr[-2000:])
    data = run.report()
    assert data["summary"]["decision"] == "error"
    matching = [e for e in data["errors"] if e["file"] == file and e.get("kind", "error") == "error"]
    assert matching, data["errors"]
    if line is not None:
        assert any(e["line"] == line for e in matching), matching
    if says:
        assert any(says in e["message"] for e in matching), matching
    return data


def assert_text_reports_error(cwd: Path, *args: str, stdin: bytes | None = None) -> None:
    """The text format agrees: exit 2 and an input problem, with no raw control characters."""
    run = check(cwd, *args, fmt="text", stdin=stdin)
    assert run.returncode == 2, (run.stdout[-2000:], run.stderr[-2000:])
    assert "Input problems:" in run.stdout and "\x1b" not in run.stdout


def public_acl_addresses(data: dict) -> set[str]:
    return {f["resource"]["address"] for f in data["findings"] if f["rule_id"] == PUBLIC_ACL_RULE}


# ------------------------------------------------------------------------------- resource bombs


def test_yaml_alias_bomb_is_refused_with_its_line(tmp_path: Path) -> None:
    levels = "".join(f"l{i + 1}: &l{i + 1} [{', '.join([f'*l{i}'] * 10)}]\n" for i in range(9))
    write(tmp_path / "bomb.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
          + levels + "Resources: {}\n")
    assert_input_error(check(tmp_path, "bomb.yaml"), "bomb.yaml", says="alias bomb")
    assert_text_reports_error(tmp_path, "bomb.yaml")


def test_recursive_yaml_alias_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "loop.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources: &r\n  A: *r\n")
    assert_input_error(check(tmp_path, "loop.yaml"), "loop.yaml")


def test_deeply_nested_cloudformation_json_is_refused(tmp_path: Path) -> None:
    deep = '{"a":' * DEPTH + "1" + "}" * DEPTH
    write(tmp_path / "deep.json", '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"B": '
          '{"Type": "AWS::S3::Bucket", "Properties": ' + deep + "}}}")
    assert_input_error(check(tmp_path, "deep.json"), "deep.json", says="deep")
    assert_text_reports_error(tmp_path, "deep.json")


def test_deeply_nested_plan_json_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "deep.plan.json", '{"format_version": "1.2", "planned_values": ' + "[" * DEPTH + "]" * DEPTH
          + ', "resource_changes": []}')
    assert_input_error(check(tmp_path, "deep.plan.json"), "deep.plan.json", says="deep")


def test_deeply_nested_plan_json_on_stdin_is_refused(tmp_path: Path) -> None:
    plan = ('{"format_version": "1.2", "planned_values": ' + "[" * DEPTH + "]" * DEPTH + "}").encode()
    assert_input_error(check(tmp_path, "-", stdin=plan), "<stdin>")


def _nested(depth: int) -> object:
    value: object = "x"
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize("buckets", [3, 600], ids=["small plan", "plan with a worker"])
def test_values_too_deep_to_analyse_fail_closed_naming_their_stack(tmp_path: Path, buckets: int) -> None:
    """Values that decode but nest deeper than the analysis can follow (a policy condition 900 levels
    deep): that plan is an input error naming it, and the plan beside it is still gated. (Such a
    plan used to end the whole run with a message naming no file.)"""
    changes = []
    for i in range(buckets):
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b{i}/*",
            "Condition": {"StringEquals": {"aws:x": _nested(900)}}}]}
        for kind, name, value in (("aws_s3_bucket", f"b{i}", {"bucket": f"b{i}", "acl": "public-read"}),
                                  ("aws_s3_bucket_policy", f"p{i}", {"bucket": f"b{i}", "policy": json.dumps(policy)})):
            changes.append({"address": f"{kind}.{name}", "mode": "managed", "type": kind, "name": name,
                            "provider_name": "registry.terraform.io/hashicorp/aws",
                            "change": {"actions": ["no-op"], "before": value, "after": value, "after_unknown": {}}})
    write(tmp_path / "deep.plan.json", json.dumps({"format_version": "1.2", "terraform_version": "1.6.0",
                                                   "resource_changes": changes,
                                                   "planned_values": {"root_module": {}}}))
    write(tmp_path / "site.plan.json", PLAN_EXAMPLE.read_bytes())
    data = assert_input_error(check(tmp_path, "deep.plan.json", "site.plan.json"), "deep.plan.json",
                              says="nested too deeply to analyse")
    assert {f["location"]["file"] for f in data["findings"]} == {"site.plan.json"}
    assert any(f["blocking"] for f in data["findings"])


@pytest.mark.parametrize("flow", [True, False], ids=["flow", "block"])
def test_deeply_nested_yaml_is_refused_with_its_line(tmp_path: Path, flow: bool) -> None:
    if flow:
        body = "Resources: " + "[" * DEPTH + "]" * DEPTH + "\n"
    else:  # block style: every level one more space of indentation
        body = "Resources:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(5_000))
    write(tmp_path / "deep.yaml", "AWSTemplateFormatVersion: '2010-09-09'\n" + body)
    data = assert_input_error(check(tmp_path, "deep.yaml"), "deep.yaml", says="nesting")
    assert all(e["line"] is not None for e in data["errors"])


@pytest.mark.parametrize("name, body", [
    ("main.tf", "locals {\n  a = " + "[" * DEPTH + "]" * DEPTH + "\n}\n"),
    ("main.tf", 'resource "aws_s3_bucket" "b" {\n' + 'dynamic "x" {\n' * 3_000 + "}\n" * 3_000 + "}\n"),
    ("main.tf.json", '{"locals": {"a": ' + "[" * DEPTH + "]" * DEPTH + "}}"),
], ids=["hcl-expression", "hcl-blocks", "tf-json"])
def test_deeply_nested_terraform_is_refused(tmp_path: Path, name: str, body: str) -> None:
    write(tmp_path / "stack" / name, body)
    assert_input_error(check(tmp_path, "stack"), f"stack/{name}", says="nested too deeply")


@pytest.mark.parametrize("kind", ["tf", "yaml", "json"])
def test_a_20_mb_line_is_read_and_judged(tmp_path: Path, kind: str) -> None:
    """A single 20 MB line (a tag value) is input like any other: the public bucket is still found."""
    long_value = "x" * LONG_LINE_BYTES
    if kind == "tf":
        path = write(tmp_path / "long" / "main.tf", PUBLIC_TF.replace('acl    = "public-read"\n',
                     f'acl    = "public-read"\n  tags = {{ Note = "{long_value}" }}\n'))
        expected = "aws_s3_bucket.site"
    elif kind == "yaml":
        path = write(tmp_path / "long.yaml", PUBLIC_CFN + f"      Tags:\n        - Key: Note\n          Value: {long_value}\n")
        expected = "Site"
    else:
        path = write(tmp_path / "long.json", json.dumps({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {"Site": {"Type": "AWS::S3::Bucket", "Properties": {
                "AccessControl": "PublicRead", "Tags": [{"Key": "Note", "Value": long_value}]}}}}))
        expected = "Site"
    name = str(path.relative_to(tmp_path))
    run = check(tmp_path, name)
    assert len(run.stdout) < 1_000_000  # the long value is not echoed into the report
    if kind == "tf" and run.returncode == 2:  # above the per-file HCL parse bound: refused, named
        assert_input_error(run, name, says="bound")
        return
    assert run.returncode == 1, run.stderr[-2000:]
    data = run.report()
    assert data["errors"] == [] and public_acl_addresses(data) == {expected}


def test_file_above_max_file_size_is_refused_not_read(tmp_path: Path) -> None:
    write(tmp_path / "t.yaml", PUBLIC_CFN + "# " + "x" * 4096 + "\n")
    write(tmp_path / "stack" / "main.tf", PUBLIC_TF + "# " + "x" * 4096 + "\n")
    run = check(tmp_path, "t.yaml", "stack", "--max-file-size", "1024")
    assert_input_error(run, "t.yaml", says="max-file-size")
    assert_input_error(run, "stack/main.tf")


# ------------------------------------------------------------------------------------ encodings


@pytest.mark.parametrize("name, data, line", [
    ("stack/main.tf", b'resource "aws_s3_bucket" "b" {\n  bucket = "caf\xe9"\n}\n', None),
    ("bad.yaml", PUBLIC_CFN.encode() + b"      BucketName: caf\xe9\n", 7),
    ("bad.json", b'{"AWSTemplateFormatVersion": "2010-09-09",\n "Description": "caf\xe9", "Resources": {}}', 2),
], ids=["tf", "yaml", "json"])
def test_invalid_utf8_is_an_input_error(tmp_path: Path, name: str, data: bytes, line: int | None) -> None:
    write(tmp_path / name, data)
    target = "stack" if name.endswith(".tf") else name
    data_ = assert_input_error(check(tmp_path, target), name, line=line)
    assert "UTF-8" in " ".join(e["message"] for e in data_["errors"])


def test_invalid_utf8_template_found_by_walking_is_not_passed_over(tmp_path: Path) -> None:
    """A walked folder skips JSON/YAML that is not ours, but a template with one bad byte is ours."""
    write(tmp_path / "infra" / "bucket.yaml", PUBLIC_CFN.encode() + b"      BucketName: caf\xe9\n")
    assert_input_error(check(tmp_path, "infra"), "infra/bucket.yaml", line=7)


def test_binary_json_found_by_walking_is_not_ours(tmp_path: Path) -> None:
    write(tmp_path / "infra" / "blob.json", bytes(range(256)) * 16)
    write(tmp_path / "infra" / "main.tf", PUBLIC_TF)
    run = check(tmp_path, "infra")
    assert run.returncode == 1 and run.report()["errors"] == []


@pytest.mark.parametrize("name", ["stack/main.tf", "blob.json", "blob.yaml", "blob.yml", "stack/x.tfvars"])
def test_binary_file_with_an_input_name_is_an_input_error(tmp_path: Path, name: str) -> None:
    write(tmp_path / name, b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64)
    if name.endswith(".tfvars"):
        write(tmp_path / "stack" / "main.tf", PUBLIC_TF)
    target = "stack" if name.startswith("stack/") else name
    assert_input_error(check(tmp_path, target), name)
    assert_text_reports_error(tmp_path, target)


def test_utf8_bom_is_read(tmp_path: Path) -> None:
    write(tmp_path / "stack" / "main.tf", b"\xef\xbb\xbf" + PUBLIC_TF.encode())
    write(tmp_path / "t.yaml", b"\xef\xbb\xbf" + PUBLIC_CFN.encode())
    write(tmp_path / "p.json", b"\xef\xbb\xbf" + PLAN_EXAMPLE.read_bytes())
    run = check(tmp_path, "stack", "t.yaml", "p.json")
    assert run.returncode == 1, run.stdout[-2000:]
    data = run.report()
    assert data["errors"] == []
    assert {"aws_s3_bucket.site", "Site"} <= public_acl_addresses(data)
    assert any(f["resource"]["source_kind"] == "plan" for f in data["findings"])


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_documents_with_a_bom_are_read(tmp_path: Path, encoding: str) -> None:
    """Windows PowerShell writes redirected output (``terraform show -json > plan.json``) as UTF-16."""
    bom = {"utf-16": b"", "utf-16-be": b"\xfe\xff", "utf-32": b""}[encoding]
    write(tmp_path / "infra" / "t.yaml", bom + PUBLIC_CFN.encode(encoding))
    write(tmp_path / "infra" / "p.json", bom + PLAN_EXAMPLE.read_text().encode(encoding))
    run = check(tmp_path, "infra")
    assert run.returncode == 1, run.stdout[-2000:]
    data = run.report()
    assert data["errors"] == []
    assert "Site" in public_acl_addresses(data)
    assert any(f["resource"]["source_kind"] == "plan" for f in data["findings"])


def test_utf16_plan_on_stdin_is_read(tmp_path: Path) -> None:
    run = check(tmp_path, "-", stdin=PLAN_EXAMPLE.read_text().encode("utf-16"))
    assert run.returncode == 1 and run.report()["errors"] == []


def test_utf16_terraform_is_an_input_error_naming_the_encoding(tmp_path: Path) -> None:
    write(tmp_path / "stack" / "main.tf", PUBLIC_TF.encode("utf-16"))
    assert_input_error(check(tmp_path, "stack"), "stack/main.tf", says="UTF-16")


def test_bom_that_lies_is_an_input_error(tmp_path: Path) -> None:
    write(tmp_path / "t.yaml", b"\xff\xfe" + PUBLIC_CFN.encode("utf-16-le")[:-1] + b"\x00\xd8")
    assert_input_error(check(tmp_path, "t.yaml"), "t.yaml", says="UTF-16")


# ------------------------------------------------------------------------------ empty, truncated


def test_empty_terraform_file_is_a_valid_empty_module(tmp_path: Path) -> None:
    write(tmp_path / "stack" / "main.tf", b"")
    run = check(tmp_path, "stack")
    assert run.returncode == 0
    data = run.report()
    assert data["errors"] == [] and data["summary"]["resources"] == 0 and data["summary"]["files"] == 1


@pytest.mark.parametrize("name", ["empty.yaml", "empty.json", "blank.yaml"])
def test_empty_document_named_explicitly_is_an_input_error(tmp_path: Path, name: str) -> None:
    write(tmp_path / name, b"\n\n   \n" if name.startswith("blank") else b"")
    assert_input_error(check(tmp_path, name), name)


def test_empty_stdin_is_an_input_error(tmp_path: Path) -> None:
    assert_input_error(check(tmp_path, "-", stdin=b""), "<stdin>")


@pytest.mark.parametrize("fraction", [0.01, 0.5, 0.99])
def test_truncated_plan_is_an_input_error_with_its_line(tmp_path: Path, fraction: float) -> None:
    text = PLAN_EXAMPLE.read_text()
    truncated = text[: int(len(text) * fraction)]
    write(tmp_path / "plans" / "cut.json", truncated)
    # Named, and found by walking once the cut keeps the plan's marker (a walk passes over JSON
    # that is neither a plan nor a template, as it cannot tell a cut plan from any other JSON).
    targets = ["plans/cut.json"] + (["plans"] if '"format_version"' in truncated else [])
    for target in targets:
        data = assert_input_error(check(tmp_path, target), "plans/cut.json")
        assert data["errors"][0]["line"] is not None
    expected_line = truncated.count("\n") + 1
    assert check(tmp_path, "-", stdin=truncated.encode()).report()["errors"][0]["line"] <= expected_line


@pytest.mark.parametrize("version", ['"2.0"', '"banana"', "null", "12", '{"major": 1}'])
def test_plan_with_an_unsupported_format_version_is_refused(tmp_path: Path, version: str) -> None:
    plan = json.loads(PLAN_EXAMPLE.read_text())
    text = json.dumps(plan).replace(json.dumps(plan["format_version"]), version, 1)
    write(tmp_path / "p.json", text)
    assert_input_error(check(tmp_path, "p.json"), "p.json", says="format_version")


# ----------------------------------------------------------------- duplicates and self-reference


def test_duplicate_terraform_resources_are_an_input_error(tmp_path: Path) -> None:
    write(tmp_path / "stack" / "a.tf", PUBLIC_TF)
    write(tmp_path / "stack" / "b.tf", PUBLIC_TF.replace("public-read", "private"))
    assert_input_error(check(tmp_path, "stack"), "stack/b.tf", line=1, says="duplicate")


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_duplicate_cloudformation_logical_ids_warn_and_the_last_one_is_judged(tmp_path: Path, fmt: str) -> None:
    """YAML and JSON parsers (and CloudFormation's) keep the last of duplicate keys; the gate says so."""
    if fmt == "yaml":
        write(tmp_path / "t.yaml", PUBLIC_CFN.replace("Resources:\n", "Resources:\n  Site:\n    Type: AWS::S3::Bucket\n"))
    else:
        write(tmp_path / "t.json", '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {\n'
              '"Site": {"Type": "AWS::S3::Bucket"},\n'
              '"Site": {"Type": "AWS::S3::Bucket", "Properties": {"AccessControl": "PublicRead"}}}}')
    run = check(tmp_path, f"t.{fmt}")
    data = run.report()
    assert run.returncode == 1 and public_acl_addresses(data) == {"Site"}
    warnings = [e for e in data["errors"] if "duplicate key 'Site'" in e["message"]]
    assert warnings and warnings[0]["kind"] == "warning" and warnings[0]["line"] == (5 if fmt == "yaml" else 3)


def test_module_that_calls_itself_is_an_input_error_not_a_hang(tmp_path: Path) -> None:
    write(tmp_path / "stack" / "main.tf", 'module "again" {\n  source = "./"\n}\n' + PUBLIC_TF)
    data = assert_input_error(check(tmp_path, "stack"), "stack/main.tf", line=1, says="calls itself")
    assert "aws_s3_bucket.site" in public_acl_addresses(data)


def test_modules_that_call_each_other_are_an_input_error(tmp_path: Path) -> None:
    write(tmp_path / "a" / "main.tf", 'module "b" {\n  source = "../b"\n}\n')
    write(tmp_path / "b" / "main.tf", 'module "a" {\n  source = "../a"\n}\n' + PUBLIC_TF)
    run = check(tmp_path, "a", "b")
    assert run.returncode == 2 and any("cycle" in e["message"] for e in run.report()["errors"])


def test_cyclic_locals_are_an_input_error_naming_the_cycle(tmp_path: Path) -> None:
    write(tmp_path / "stack" / "main.tf", 'locals {\n  a = local.b\n  b = local.a\n}\n'
          'resource "aws_s3_bucket" "site" {\n  bucket = "site"\n  acl    = local.a\n}\n')
    data = assert_input_error(check(tmp_path, "stack"), "stack/main.tf", line=2, says="cycle")
    assert data["findings"], "the bucket is still analysed (its ACL unknown)"


def test_cyclic_cloudformation_conditions_are_an_input_error(tmp_path: Path) -> None:
    write(tmp_path / "t.yaml", PUBLIC_CFN.replace("Resources:\n", "Conditions:\n  A: !Condition B\n"
                                                  "  B: !Condition A\nResources:\n").replace(
        "    Properties:\n", "    Condition: A\n    Properties:\n"))
    assert_input_error(check(tmp_path, "t.yaml"), "t.yaml", says="cycle")


# ------------------------------------------------------------------------ file system oddities


def test_symlink_loop_in_a_walked_folder_is_reported_and_not_followed(tmp_path: Path) -> None:
    write(tmp_path / "infra" / "main.tf", PUBLIC_TF)
    (tmp_path / "infra" / "sub").mkdir()
    (tmp_path / "infra" / "sub" / "up").symlink_to("..")
    run = check(tmp_path, "infra")
    data = run.report()
    assert run.returncode == 1 and public_acl_addresses(data) == {"aws_s3_bucket.site"}
    assert any("symlink loop" in e["message"] and e["file"] == "infra/sub/up" for e in data["errors"])


def test_self_referencing_symlink_named_explicitly_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "self.tf").symlink_to("self.tf")
    assert_input_error(check(tmp_path, "self.tf"), "self.tf", says="symlink loop")


def test_broken_symlink_in_a_walked_folder_is_an_input_error(tmp_path: Path) -> None:
    write(tmp_path / "infra" / "main.tf", PUBLIC_TF)
    (tmp_path / "infra" / "gone.tf").symlink_to("missing.tf")
    assert_input_error(check(tmp_path, "infra"), "infra/gone.tf")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_with_an_input_name_is_refused_without_blocking(tmp_path: Path) -> None:
    """Opening a FIFO for reading waits for a writer: the gate must not even try."""
    (tmp_path / "infra").mkdir()
    os.mkfifo(tmp_path / "infra" / "main.tf")
    os.mkfifo(tmp_path / "pipe.yaml")
    assert_input_error(check(tmp_path, "pipe.yaml"), "pipe.yaml", says="not a regular file")
    assert_input_error(check(tmp_path, "infra"), "infra/main.tf", says="not a regular file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_device_behind_an_input_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    assert_input_error(check(tmp_path, "zero.json"), "zero.json", says="not a regular file")


def _unreadable(path: Path) -> Callable[..., object]:
    """Wrap os.open / open so that ``path`` raises PermissionError, as chmod 000 does for non-root."""
    target = os.path.realpath(path)

    def guard(original: Callable[..., object]) -> Callable[..., object]:
        def opener(file: object, *args: object, **kwargs: object) -> object:
            if isinstance(file, (str, os.PathLike)) and os.path.realpath(file) == target:
                raise PermissionError(13, "Permission denied", str(file))
            return original(file, *args, **kwargs)
        return opener
    return guard


@pytest.mark.parametrize("name", ["stack/main.tf", "t.yaml", "p.json"])
def test_unreadable_file_is_an_input_error(tmp_path: Path, name: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    body = {"stack/main.tf": PUBLIC_TF, "t.yaml": PUBLIC_CFN, "p.json": PLAN_EXAMPLE.read_text()}[name]
    path = write(tmp_path / name, body)
    target = "stack" if name.startswith("stack/") else name
    if os.geteuid() != 0:
        path.chmod(0)
        try:
            assert_input_error(check(tmp_path, target), name, says="ermission denied")
        finally:
            path.chmod(0o644)
        return
    # root reads anything: make the open itself fail, in process.
    from iacgate.cli import app

    guard = _unreadable(path)
    monkeypatch.setattr(os, "open", guard(os.open))
    monkeypatch.setattr(builtins, "open", guard(builtins.open))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check", target, "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    run = Run(result.exit_code, result.stdout, "")
    assert_input_error(run, name, says="ermission denied")


# --------------------------------------------------------------------- names that carry escapes


def test_path_with_newline_and_terminal_escape_is_shown_escaped(tmp_path: Path) -> None:
    name = "ev\nil\x1b[31m\r.tf"
    write(tmp_path / "infra" / name, PUBLIC_TF)
    data = check(tmp_path, "infra").report()
    assert {f["location"]["file"] for f in data["findings"]} == {f"infra/{name}"}
    text = check(tmp_path, "infra", fmt="text")
    assert text.returncode == 1
    assert "\x1b" not in text.stdout and "\r" not in text.stdout
    assert "infra/ev\\x0ail\\x1b[31m\\x0d.tf:1-4" in text.stdout
    github = check(tmp_path, "infra", fmt="github").stdout
    assert all(line.startswith("::") or line.startswith("FAIL") for line in github.splitlines())
    assert "file=infra/ev%0Ail\\x1b[31m%0D.tf," in github


def test_broken_file_with_escapes_in_its_name_is_reported_escaped(tmp_path: Path) -> None:
    name = "bad\x1b]0;pwned\x07\n.yaml"
    write(tmp_path / name, "AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n")
    assert_input_error(check(tmp_path, name), name)
    text = check(tmp_path, name, fmt="text").stdout
    assert "\x1b" not in text and "\x07" not in text and "bad\\x1b]0;pwned\\x07\\x0a.yaml" in text


HOSTILE_LABEL = "x</details><img src=x onerror=alert(1)>|[click](https://evil.example)`\x1b[2J"


def test_resource_names_with_markdown_html_and_ansi_cannot_inject(tmp_path: Path) -> None:
    label = HOSTILE_LABEL.replace("\x1b", "")  # HCL strings carry no raw ESC; the template does
    write(tmp_path / "stack" / "main.tf", PUBLIC_TF.replace('"site" {', f'"{label}" {{'))
    write(tmp_path / "t.yaml", PUBLIC_CFN.replace("  Site:", f'  "{HOSTILE_LABEL.replace(chr(27), chr(92) + "e")}":'))
    data = check(tmp_path, "stack", "t.yaml").report()
    assert public_acl_addresses(data) == {f"aws_s3_bucket.{label}", HOSTILE_LABEL}

    markdown = check(tmp_path, "stack", "t.yaml", fmt="markdown").stdout
    assert markdown.count("<details>") == markdown.count("</details>") == 2
    assert "<img" not in markdown and "](https" not in markdown and "\x1b" not in markdown
    table = [line for line in markdown.splitlines() if line.startswith("| high |")]
    assert table and all(line.count(" | ") == 4 for line in table)  # no extra cells from "|"

    text = check(tmp_path, "stack", "t.yaml", fmt="text").stdout
    assert "\x1b" not in text and "\\x1b[2J" in text

    sarif = json.loads(check(tmp_path, "stack", "t.yaml", fmt="sarif").stdout)
    messages = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert messages and not any("[click](https" in m for m in messages)
    assert any("\\[click\\](https" in m for m in messages)

    junit = check(tmp_path, "stack", "t.yaml", fmt="junit").stdout
    import xml.etree.ElementTree as ET

    names = {case.get("name") for case in ET.fromstring(junit).iter("testcase")}
    assert f"aws_s3_bucket.{label}" in names and "\x1b" not in junit


# -------------------------------------------------------------------------- evaluation bombs


def _doubling_locals(levels: int) -> str:
    names = [f"l{i}" for i in range(levels + 1)]
    lines = [f'  {names[0]} = "{"x" * 100}"'] + [f'  {names[i + 1]} = "${{local.{names[i]}}}${{local.{names[i]}}}"'
                                                for i in range(levels)]
    return "locals {\n" + "\n".join(lines) + "\n}\n"


@pytest.mark.parametrize("bomb, bucket", [
    ("", "1000000000"),  # count of a billion
    ('locals {\n  s = format("%0999999999d", 1)\n}\n', "local.s"),
    ('locals {\n  a = join("", [for i in range(1000) : "xxxxxxxxxx"])\n  b = join("", [for i in range(1000) : local.a])\n'
     '  c = join("", [for i in range(1000) : local.b])\n}\n', "local.c"),
    (_doubling_locals(26), "local.l26"),  # 100 characters doubled 26 times: 6.7 GB
    ('locals {\n  a = indent(999999999, "x\\ny")\n}\n', "local.a"),
], ids=["count", "format-width", "join-of-joins", "doubling-template", "indent"])
def test_terraform_expressions_that_would_exhaust_memory_are_bounded(tmp_path: Path, bomb: str, bucket: str) -> None:
    """The bucket is still judged (its public ACL found); the runaway value is not built."""
    if bomb:
        body = bomb + PUBLIC_TF.replace('bucket = "site"', f"bucket = {bucket}")
    else:
        body = PUBLIC_TF.replace('bucket = "site"', f'count  = {bucket}\n  bucket = "site-${{count.index}}"')
    write(tmp_path / "stack" / "main.tf", body)
    run = check(tmp_path, "stack")
    assert run.returncode in (1, 2), run.stderr[-2000:]
    data = run.report()
    assert any(address.startswith("aws_s3_bucket.site") for address in public_acl_addresses(data)), data["findings"]


def test_module_source_with_a_nul_character_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "stack" / "main.tf", 'module "m" {\n  source = "./sub\\u0000x"\n}\n' + PUBLIC_TF)
    run = check(tmp_path, "stack")
    assert run.returncode in (1, 2) and "aws_s3_bucket.site" in public_acl_addresses(run.report())


def test_policy_document_blocks_of_the_wrong_type_do_not_crash() -> None:
    """Found by fuzz/fuzz_plan.py: a plan's policy document data source with odd-typed blocks."""
    from iacgate.adapters.terraform.policy_documents import render_policy_document

    for statement in ({"condition": 5, "principals": 7}, {"condition": [{"test": ["x"], "variable": "v"}]},
                      {"condition": [{"test": "StringEquals", "variable": {"a": 1}, "values": []}]},
                      {"principals": [{"type": {"AWS": "*"}, "identifiers": ["*"]}]}):
        rendered = render_policy_document({"statement": [statement]})
        assert rendered is not None
