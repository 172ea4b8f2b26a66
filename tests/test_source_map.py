"""Plan findings mapped back to the ``.tf`` lines that declare them (``--source-root``), through the
real command on real ``terraform show -json`` output.

``tests/fixtures/plan/source_map`` was planned once by ``regenerate.sh`` there: a root bucket with an
inline suppression, ``count`` and ``for_each`` buckets, a local module called per ``for_each`` key and a
module from a git repository (a remote source). ``examples/plan`` holds the shipped examples' plans.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "plan" / "source_map"
ROOT = FIXTURE / "root"
PLAN = FIXTURE / "plan.json"
SARIF_SCHEMA = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iacgate", "check", *args], cwd=cwd, capture_output=True, check=False,
                          text=True, timeout=120)


def report(*args: str, cwd: Path = REPO) -> dict:
    proc = run(*args, "--format", "json", cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def finding(data: dict, rule_id: str, address: str) -> dict:
    [match] = [f for f in data["findings"] if f["rule_id"] == rule_id and f["resource"]["address"] == address]
    return match


def block_start(path: Path, header: str) -> int:
    """The 1-based line of the block whose first line is ``header``."""
    return path.read_text().splitlines().index(header) + 1


def rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


@pytest.fixture(scope="module")
def mapped() -> dict:
    return report(str(PLAN), "--source-root", str(ROOT))


def test_without_a_source_root_plan_findings_point_at_the_plan() -> None:
    data = report(str(PLAN))
    located = {(f["location"]["file"], f["location"]["line"]) for f in data["findings"]}
    assert located == {(rel(PLAN), None)}


def test_a_plan_beside_its_configuration_maps_without_a_source_root(tmp_path: Path) -> None:
    # `terraform show -json` run where the configuration is, as Atlantis and CI jobs do
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.tf").write_text((ROOT / "main.tf").read_text())
    (project / "plan.json").write_text(PLAN.read_text())
    main = project / "main.tf"
    start = block_start(main, 'resource "aws_s3_bucket" "downloads" {')
    for data in (report("plan.json", cwd=project),
                 json.loads(subprocess.run([sys.executable, "-m", "iacgate", "check", "-", "--format", "json"],
                                           input=PLAN.read_text(), cwd=project, capture_output=True,
                                           text=True, timeout=120, check=False).stdout)):
        f = finding(data, "IG-S3-010", "aws_s3_bucket.downloads")
        assert (f["location"]["file"], f["location"]["line"]) == ("main.tf", start)
        # the folder declares only the root module: no warning about the rest of the plan
        assert not any("source root" in e["message"] for e in data["errors"])


def test_a_plan_scanned_with_its_configuration_reports_each_finding_once(tmp_path: Path) -> None:
    import shutil

    project = tmp_path / "project"
    shutil.copytree(ROOT, project)
    (project / "plan.json").write_text(PLAN.read_text())
    proc = run(".", "--format", "json", cwd=project)
    data = json.loads(proc.stdout)
    downloads = [f for f in data["findings"] if f["rule_id"] == "IG-S3-010"
                 and f["resource"]["address"] == "aws_s3_bucket.downloads"]
    assert len(downloads) == 1
    assert downloads[0]["resource"]["source_kind"] == "plan"
    assert downloads[0]["location"]["file"] == "main.tf"


def test_root_module_resource_points_at_its_block_and_its_satellites(mapped: dict) -> None:
    main = ROOT / "main.tf"
    f = finding(mapped, "IG-S3-010", "aws_s3_bucket.downloads")
    start = block_start(main, 'resource "aws_s3_bucket" "downloads" {')
    assert f["location"] == {"file": rel(main), "line": start, "end_line": start + 2}
    acl = finding(mapped, "IG-S3-001", "aws_s3_bucket.downloads")
    [evidence] = [e for e in acl["evidence"] if e["address"] == "aws_s3_bucket_acl.downloads"]
    acl_start = block_start(main, 'resource "aws_s3_bucket_acl" "downloads" {')
    assert (evidence["file"], evidence["line"], evidence["end_line"]) == (rel(main), acl_start, acl_start + 3)


@pytest.mark.parametrize("header, addresses", [
    ('resource "aws_s3_bucket" "reports" {', ["aws_s3_bucket.reports[0]", "aws_s3_bucket.reports[1]"]),
    ('resource "aws_s3_bucket" "team" {', ['aws_s3_bucket.team["red"]', 'aws_s3_bucket.team["blue"]']),
])
def test_count_and_for_each_instances_share_their_block(mapped: dict, header: str, addresses: list[str]) -> None:
    main = ROOT / "main.tf"
    start = block_start(main, header)
    for address in addresses:
        loc = finding(mapped, "IG-S3-010", address)["location"]
        assert loc == {"file": rel(main), "line": start, "end_line": start + 3}


def test_local_module_instances_point_into_the_module_folder(mapped: dict) -> None:
    module_main = ROOT / "modules" / "site" / "main.tf"
    bucket = block_start(module_main, 'resource "aws_s3_bucket" "this" {')
    policy = block_start(module_main, 'resource "aws_s3_bucket_policy" "this" {')
    for key in ("docs", "blog"):
        f = finding(mapped, "IG-S3-002", f'module.site["{key}"].aws_s3_bucket.this')
        assert f["location"] == {"file": rel(module_main), "line": bucket, "end_line": bucket + 2}
        [evidence] = [e for e in f["evidence"] if e["address"].endswith("aws_s3_bucket_policy.this")]
        assert (evidence["file"], evidence["line"]) == (rel(module_main), policy)


def test_remote_module_keeps_the_plan_location_and_names_the_module_call(mapped: dict) -> None:
    f = finding(mapped, "IG-S3-001", "module.shared.aws_s3_bucket.this")
    assert f["location"] == {"file": rel(PLAN), "line": None, "end_line": None}
    main = ROOT / "main.tf"
    call = block_start(main, 'module "shared" {')
    [evidence] = [e for e in f["evidence"] if e["address"] == "module.shared"]
    assert (evidence["file"], evidence["line"]) == (rel(main), call)
    assert "git::file://" in evidence["detail"]
    assert not mapped["errors"], "a remote module is not a disagreement between plan and source root"


def test_a_source_root_the_plan_was_not_made_from_warns_and_keeps_plan_locations() -> None:
    wrong = REPO / "examples" / "terraform" / "public-website-bucket"
    proc = run(str(PLAN), "--source-root", str(wrong), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    [warning] = data["errors"]
    assert warning["kind"] == "warning"
    assert "not declared under the source root" in warning["message"]
    assert "aws_s3_bucket.downloads" in warning["message"]
    assert {f["location"]["file"] for f in data["findings"]} == {rel(PLAN)}
    assert data["summary"]["decision"] == "fail"  # a warning never turns a failing run into a pass


def test_a_missing_source_root_is_a_usage_error() -> None:
    proc = run(str(PLAN), "--source-root", str(FIXTURE / "no-such-folder"))
    assert proc.returncode == 2
    assert "--source-root" in proc.stderr and "Traceback" not in proc.stderr


def test_inline_ignore_above_a_block_suppresses_the_plan_finding_only_with_a_source_root(mapped: dict) -> None:
    suppressed = finding(mapped, "IG-S3-001", "aws_s3_bucket.downloads")
    assert suppressed["suppressed"] and not suppressed["blocking"]
    assert suppressed["suppression"] == {"reason": "public download mirror, reviewed by security",
                                         "until": "2099-12-31", "origin": "inline"}
    # The comment names IG-S3-001 only: the bucket's other violation still blocks.
    assert finding(mapped, "IG-S3-010", "aws_s3_bucket.downloads")["blocking"]
    plain = finding(report(str(PLAN)), "IG-S3-001", "aws_s3_bucket.downloads")
    assert plain["blocking"] and not plain["suppressed"]


@pytest.mark.parametrize("example", ["public-website-bucket", "private-data-bucket", "capital-one-path"])
def test_shipped_example_plans_map_every_finding_to_the_example_source(example: str) -> None:
    source = REPO / "examples" / "terraform" / example
    data = report(f"examples/plan/{example}.plan.json", "--source-root", str(source))
    assert data["findings"] and not data["errors"]
    resources = [f for f in data["findings"] if f["resource"]["type"] != "provider"]
    for f in resources:
        assert f["location"]["file"].startswith(rel(source) + "/"), f
        assert f["location"]["line"] is not None
    # Each finding's span holds the resource block it names.
    for f in resources:
        lines = (REPO / f["location"]["file"]).read_text().splitlines()
        kind, name = f["resource"]["address"].split("[")[0].split(".")[-2:]
        assert lines[f["location"]["line"] - 1].startswith(f'resource "{kind}" "{name}"'), f


def test_private_bucket_plan_honours_the_inline_ignore_of_its_source() -> None:
    source = REPO / "examples" / "terraform" / "private-data-bucket"
    mapped = report("examples/plan/private-data-bucket.plan.json", "--source-root", str(source))
    logging = finding(mapped, "IG-S3-022", "aws_s3_bucket.logs")
    assert logging["suppressed"] and logging["suppression"]["origin"] == "inline"
    unmapped = report("examples/plan/private-data-bucket.plan.json")
    assert not finding(unmapped, "IG-S3-022", "aws_s3_bucket.logs")["suppressed"]


# ------------------------------------------------------------------------------------------ SARIF


def sarif(*args: str, cwd: Path = REPO) -> dict:
    proc = run(*args, "--format", "sarif", cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def physical(result: dict) -> dict:
    return result["locations"][0]["physicalLocation"]


@pytest.fixture(scope="module")
def schema() -> dict:
    if not SARIF_SCHEMA.exists():
        pytest.skip(f"the SARIF 2.1.0 schema is not available at {SARIF_SCHEMA}")
    return json.loads(SARIF_SCHEMA.read_text())


def test_sarif_of_a_mapped_plan_validates_and_points_at_tf_lines(schema: dict) -> None:
    log = sarif(str(PLAN), "--source-root", str(ROOT))
    jsonschema.validate(log, schema)
    run_ = log["runs"][0]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == REPO.resolve().as_uri() + "/"
    uris = set()
    for result in run_["results"]:
        places = [physical(result)] + [r["physicalLocation"] for r in result.get("relatedLocations", [])]
        for place in places:
            artifact = place["artifactLocation"]
            assert artifact["uriBaseId"] == "%SRCROOT%"
            assert not re.match(r"^[a-z]+:|/", artifact["uri"]), artifact
            uris.add(artifact["uri"])
    assert rel(ROOT / "main.tf") in uris and rel(ROOT / "modules" / "site" / "main.tf") in uris

    by_address = {(r["ruleId"], r["properties"]["address"]): r for r in run_["results"]}
    reports = by_address[("IG-S3-010", "aws_s3_bucket.reports[1]")]
    start = block_start(ROOT / "main.tf", 'resource "aws_s3_bucket" "reports" {')
    assert physical(reports)["region"] == {"startLine": start, "endLine": start + 3}
    # The remote module's finding lands on its module call, the line a reviewer can change.
    shared = by_address[("IG-S3-001", "module.shared.aws_s3_bucket.this")]
    assert physical(shared)["artifactLocation"]["uri"] == rel(ROOT / "main.tf")
    assert physical(shared)["region"]["startLine"] == block_start(ROOT / "main.tf", 'module "shared" {')
    # The inline ignore shows as an in-source suppression.
    downloads = by_address[("IG-S3-001", "aws_s3_bucket.downloads")]
    assert downloads["suppressions"][0]["kind"] == "inSource"


def test_sarif_uris_are_relative_to_the_folder_iacgate_runs_from(schema: dict) -> None:
    log = sarif(str(PLAN.relative_to(FIXTURE)), "--source-root", "root", cwd=FIXTURE)
    jsonschema.validate(log, schema)
    uris = {physical(r)["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert "root/main.tf" in uris and "root/modules/site/main.tf" in uris
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == FIXTURE.resolve().as_uri() + "/"


@pytest.mark.parametrize("target", ["examples/terraform/public-website-bucket",
                                    "examples/cloudformation/public-bucket.yaml",
                                    "examples/plan/public-website-bucket.plan.json"])
def test_sarif_of_terraform_cloudformation_and_plan_inputs_validates(schema: dict, target: str) -> None:
    log = sarif(target)
    jsonschema.validate(log, schema)
    results = log["runs"][0]["results"]
    assert results
    for result in results:
        assert physical(result)["artifactLocation"]["uriBaseId"] == "%SRCROOT%"


# ----------------------------------------------------------------------------- GitHub annotations


def annotations(text: str) -> list[dict[str, str]]:
    out = []
    for line in text.splitlines():
        match = re.match(r"^::(error|warning|notice) ([^:]*)::(.*)$", line)
        if match:
            props = dict(p.split("=", 1) for p in match.group(2).split(",") if "=" in p)
            out.append({"level": match.group(1), **props, "message": match.group(3)})
    return out


def test_github_annotations_of_a_mapped_plan_carry_the_tf_lines() -> None:
    proc = run(str(PLAN), "--source-root", str(ROOT), "--format", "github")
    assert proc.returncode == 1
    found = annotations(proc.stdout)
    errors = [a for a in found if a["level"] == "error"]
    assert errors and all(a.get("line") for a in errors)
    main = rel(ROOT / "main.tf")
    team = [a for a in errors if 'aws_s3_bucket.team["red"]' in a["message"]]
    assert team and team[0]["file"] == main
    assert team[0]["line"] == str(block_start(ROOT / "main.tf", 'resource "aws_s3_bucket" "team" {'))
    shared = [a for a in errors if a["message"].startswith("module.shared.aws_s3_bucket.this")]
    assert shared and {a["file"] for a in shared} == {main}
    assert {a["line"] for a in shared} == {str(block_start(ROOT / "main.tf", 'module "shared" {'))}
    # The suppressed finding is not annotated.
    assert not [a for a in found if "IG-S3-001" in a.get("title", "") and "aws_s3_bucket.downloads:" in a["message"]]


def test_github_annotations_of_terraform_carry_real_lines() -> None:
    proc = run("examples/terraform/public-website-bucket", "--format", "github")
    errors = [a for a in annotations(proc.stdout) if a["level"] == "error"]
    main = REPO / "examples" / "terraform" / "public-website-bucket" / "main.tf"
    start = block_start(main, 'resource "aws_s3_bucket" "site" {')
    assert errors and {(a["file"], a["line"]) for a in errors} == {(rel(main), str(start))}
