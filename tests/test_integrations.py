"""The integrations shipped in the repository: the GitHub Action, the pre-commit hooks and the
Atlantis example. Each file is parsed, and the commands it runs are run, on the examples, the way the
host would run them."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PLANS = REPO / "examples" / "plan"
TERRAFORM = REPO / "examples" / "terraform"


def env_with_iacgate(**extra: str) -> dict[str, str]:
    if not (BIN / "iacgate").exists():
        pytest.skip(f"the iacgate console script is not installed next to {sys.executable}")
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=180, check=False)


# ------------------------------------------------------------------------------------ GitHub Action


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text())


def step(action: dict, name: str) -> dict:
    [found] = [s for s in action["runs"]["steps"] if s.get("name") == name]
    return found


def test_action_is_a_composite_action_with_the_documented_inputs(action: dict) -> None:
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(action)
    assert action["runs"]["using"] == "composite"
    for spec in action["inputs"].values():
        assert "description" in spec and "default" in spec
    text = (REPO / "action.yml").read_text()
    used = set(re.findall(r"\$\{\{[^}]*\binputs\.([a-z0-9-]+)", text))
    assert used <= set(action["inputs"]), used - set(action["inputs"])
    for s in action["runs"]["steps"]:
        assert ("uses" in s) != ("run" in s), s.get("name")
        if "run" in s:
            assert s.get("shell") == "bash", s.get("name")  # composite run steps must name a shell
    uses = [s["uses"].split("@")[0] for s in action["runs"]["steps"] if "uses" in s]
    assert uses == ["actions/setup-python", "github/codeql-action/upload-sarif", "actions/github-script"]
    assert '"$GITHUB_ACTION_PATH"' in step(action, "Install iacgate")["run"]
    upload = step(action, "Upload SARIF to code scanning")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}" and "always()" in upload["if"]
    comment = step(action, "Comment on the pull request")
    assert "inputs.comment == 'true'" in comment["if"] and "IACGATE_MARKDOWN" in comment["with"]["script"]
    # The gate decision comes last, after the uploads, and always runs.
    assert action["runs"]["steps"][-1]["name"] == "Gate" and "always()" in action["runs"]["steps"][-1]["if"]


@pytest.mark.parametrize("paths, expected", [("examples/terraform/public-website-bucket", "1"),
                                             ("examples/terraform/private-data-bucket", "0")])
def test_action_run_step_gates_and_writes_sarif_and_markdown(action: dict, tmp_path: Path, paths: str,
                                                             expected: str) -> None:
    run = step(action, "Run iacgate")
    inputs = {name: str(spec["default"]) for name, spec in action["inputs"].items()}
    inputs["paths"] = paths
    env = env_with_iacgate(GITHUB_OUTPUT=str(tmp_path / "output"), GITHUB_STEP_SUMMARY=str(tmp_path / "summary"),
                           RUNNER_TEMP=str(tmp_path))
    for key, value in run["env"].items():
        match = re.fullmatch(r"\$\{\{ inputs\.([a-z0-9-]+) \}\}", value)
        assert match, value
        env[key] = inputs[match.group(1)]
    env["IACGATE_SARIF"] = str(tmp_path / "iacgate.sarif")
    proc = bash(run["run"], REPO, env)
    assert proc.returncode == 0, proc.stderr  # the step records the code; the Gate step decides
    outputs = dict(line.split("=", 1) for line in (tmp_path / "output").read_text().splitlines())
    assert outputs["exit-code"] == expected
    sarif = json.loads((tmp_path / "iacgate.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert Path(outputs["markdown-file"]).read_text() == (tmp_path / "summary").read_text()
    if expected == "1":
        assert "::error file=examples/terraform/public-website-bucket/main.tf,line=" in proc.stdout

    gate = step(action, "Gate")
    decided = bash(gate["run"], REPO, {**os.environ, "IACGATE_EXIT_CODE": outputs["exit-code"]})
    assert decided.returncode == int(expected)


def test_action_gate_step_fails_closed_when_iacgate_did_not_run(action: dict) -> None:
    gate = step(action, "Gate")
    env = {k: v for k, v in os.environ.items() if k != "IACGATE_EXIT_CODE"}
    assert bash(gate["run"], REPO, env).returncode == 2


def test_action_gates_a_plan_with_source_root_and_extra_args(action: dict, tmp_path: Path) -> None:
    run = step(action, "Run iacgate")
    env = env_with_iacgate(GITHUB_OUTPUT=str(tmp_path / "output"), GITHUB_STEP_SUMMARY=str(tmp_path / "summary"),
                           RUNNER_TEMP=str(tmp_path), IACGATE_PATHS="examples/plan/public-website-bucket.plan.json",
                           IACGATE_FAIL_ON="high", IACGATE_FORMAT="github",
                           IACGATE_SOURCE_ROOT="examples/terraform/public-website-bucket",
                           IACGATE_ARGS="--new-only", IACGATE_SARIF=str(tmp_path / "out.sarif"))
    proc = bash(run["run"], REPO, env)
    assert proc.returncode == 0, proc.stderr
    assert "exit-code=1" in (tmp_path / "output").read_text()
    assert "::error file=examples/terraform/public-website-bucket/main.tf,line=27" in proc.stdout
    results = json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["results"]
    assert {r["baselineState"] for r in results} == {"new"}


# ----------------------------------------------------------------------------------------- pre-commit


@pytest.fixture(scope="module")
def hooks() -> list[dict]:
    return yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())


def test_pre_commit_hooks_have_the_required_keys(hooks: list[dict]) -> None:
    assert [h["id"] for h in hooks] == ["iacgate", "iacgate-plan"]
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python" and hook["entry"].split()[0] == "iacgate"
        assert isinstance(hook["pass_filenames"], bool)
        re.compile(hook["files"])
        allowed = {"id", "name", "entry", "language", "files", "exclude", "types", "types_or", "exclude_types",
                   "always_run", "fail_fast", "verbose", "pass_filenames", "require_serial", "description",
                   "language_version", "log_file", "minimum_pre_commit_version", "args", "stages"}
        assert set(hook) <= allowed, set(hook) - allowed
    tree, plan = hooks
    assert re.search(tree["files"], "infra/main.tf") and re.search(tree["files"], "stack/template.yaml")
    assert not re.search(tree["files"], "README.md")
    assert re.search(tree["exclude"], "infra/.terraform/modules/x/main.tf")
    assert re.search(plan["files"], "infra/tfplan.json") and not re.search(plan["files"], "package.json")


@pytest.mark.parametrize("example, code", [("public-website-bucket", 1), ("private-data-bucket", 0)])
def test_tree_hook_runs_on_a_project_as_pre_commit_would(hooks: list[dict], tmp_path: Path, example: str,
                                                        code: int) -> None:
    hook = hooks[0]
    shutil.copytree(TERRAFORM / example, tmp_path / "infra")
    argv = hook["entry"].split() + list(hook.get("args", []))  # pass_filenames: false
    proc = subprocess.run(argv, cwd=tmp_path, env=env_with_iacgate(), capture_output=True, text=True,
                          timeout=180, check=False)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert proc.stdout.rstrip().splitlines()[-1].startswith("FAIL:" if code else "PASS:")


def test_plan_hook_runs_on_the_matching_files(hooks: list[dict]) -> None:
    hook = hooks[1]
    files = sorted(str(p.relative_to(REPO)) for p in PLANS.glob("*.json") if re.search(hook["files"], str(p)))
    assert len(files) == 3
    proc = subprocess.run(hook["entry"].split() + files, cwd=REPO, env=env_with_iacgate(), capture_output=True,
                          text=True, timeout=180, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "aws_s3_bucket.site" in proc.stdout and "aws_instance.waf" in proc.stdout


# -------------------------------------------------------------------------------------------- Atlantis

ATLANTIS = REPO / "examples" / "atlantis"
# Atlantis' custom policy check (server/events/project_command_runner.go, doPolicyCheck): a run step
# that exits non-zero is an error; otherwise the output fails the policy set when it is empty, when
# it matches this regex or when it starts with "FAIL".
ATLANTIS_FAILURE = re.compile(r'([1-9][0-9]* failure|failures": \[)')


def atlantis_verdict(proc: subprocess.CompletedProcess[str]) -> str:
    output = proc.stdout + proc.stderr  # Atlantis reads both streams of a run step
    if proc.returncode != 0:
        return "error"
    if output == "":
        return "failed"
    if ATLANTIS_FAILURE.search(output) or output.strip().startswith("FAIL"):
        return "failed"
    return "passed"


def atlantis_items(output: str, regex: str) -> list[str]:
    """The items Atlantis hashes for sticky approvals (``FindAllString``; the whole output if none)."""
    return re.findall(regex, output) or [output]  # the example's regex is valid in both engines


@pytest.fixture(scope="module")
def repos() -> dict:
    return yaml.safe_load((ATLANTIS / "repos.yaml").read_text())


def policy_step(repos: dict) -> str:
    steps = repos["workflows"]["iacgate"]["policy_check"]["steps"]
    assert steps[0] == "show"
    [run] = [s["run"] for s in steps if isinstance(s, dict) and "run" in s]
    return run


def test_atlantis_examples_are_valid_configuration(repos: dict) -> None:
    [repo] = repos["repos"]
    assert repo["custom_policy_check"] is True and repo["policy_check"] is True
    assert repo["workflow"] == "iacgate"
    assert {"workflow", "policy_check", "custom_policy_check"} <= set(repo["allowed_overrides"])
    policies = repos["policies"]
    assert policies["owners"]["users"] and policies["sticky_policy_approvals"] is True
    for policy_set in policies["policy_sets"]:
        assert {"name", "path", "source"} <= set(policy_set) and policy_set["source"] in ("local", "github")
    re.compile(policies["policy_item_regex"])
    run = policy_step(repos)
    assert 'iacgate check "$SHOWFILE"' in run and "--format atlantis" in run

    project_cfg = yaml.safe_load((ATLANTIS / "atlantis.yaml").read_text())
    assert project_cfg["version"] == 3
    for project in project_cfg["projects"]:
        assert {"name", "dir", "workflow"} <= set(project) and project["workflow"] in repos["workflows"]
        assert project["custom_policy_check"] is True


def atlantis_run(repos: dict, project: Path, showfile: Path) -> subprocess.CompletedProcess[str]:
    """The workflow's run step as Atlantis runs it: ``sh -c`` in the project folder with $SHOWFILE."""
    return subprocess.run(["sh", "-c", policy_step(repos)], cwd=project, capture_output=True, text=True,
                          timeout=180, check=False, env=env_with_iacgate(SHOWFILE=str(showfile)))


def project_with_plan(tmp_path: Path, example: str) -> tuple[Path, Path]:
    project = tmp_path / example
    shutil.copytree(TERRAFORM / example, project)
    showfile = project / "default.tfplan.json"
    shutil.copy(PLANS / f"{example}.plan.json", showfile)
    return project, showfile


def test_atlantis_failing_run_is_a_policy_failure_with_one_item_per_finding(repos: dict, tmp_path: Path) -> None:
    project, showfile = project_with_plan(tmp_path, "public-website-bucket")
    proc = atlantis_run(repos, project, showfile)
    assert atlantis_verdict(proc) == "failed", proc.stdout + proc.stderr
    findings = [line for line in proc.stdout.splitlines() if line.startswith("iacgate IG-")]
    assert proc.stdout.rstrip().endswith(f"{len(findings)} failures")
    assert all("(main.tf:" in line for line in findings)  # --source-root . maps them to the .tf lines
    items = atlantis_items(proc.stdout, repos["policies"]["policy_item_regex"])
    assert len(items) == len(findings) == len(set(items))
    assert {"iacgate IG-S3-001 [critical] aws_s3_bucket.site: ",
            "iacgate IG-S3-010 [high] aws_s3_bucket.site: "} <= set(items)

    # Moving code changes the lines printed, not the items: a sticky approval survives.
    main = project / "main.tf"
    main.write_text("# a new header comment\n\n" + main.read_text())
    moved = atlantis_run(repos, project, showfile)
    assert moved.stdout != proc.stdout
    assert atlantis_items(moved.stdout, repos["policies"]["policy_item_regex"]) == items


def test_atlantis_passing_run_passes(repos: dict, tmp_path: Path) -> None:
    project, showfile = project_with_plan(tmp_path, "private-data-bucket")
    strict = atlantis_run(repos, project, showfile)
    assert atlantis_verdict(strict) == "failed"  # policies known only after apply block by default
    (project / ".iacgate.yaml").write_text("unknown: warn\n")
    proc = atlantis_run(repos, project, showfile)
    assert atlantis_verdict(proc) == "passed", proc.stdout + proc.stderr
    assert proc.stdout.startswith("iacgate: PASS") and "1 suppressed" in proc.stdout


def test_atlantis_unreadable_plan_is_an_error_no_one_can_approve(repos: dict, tmp_path: Path) -> None:
    project, showfile = project_with_plan(tmp_path, "public-website-bucket")
    showfile.write_text('{"format_version": "1.2", "resource_changes": [')
    proc = atlantis_run(repos, project, showfile)
    assert proc.returncode == 2 and atlantis_verdict(proc) == "error"
    assert "FAIL" in proc.stdout  # even read as output alone, it would not pass


# ---------------------------------------------------------------------------------------- PR comment


def test_markdown_comment_of_2000_findings_stays_under_the_limit_and_says_what_it_cut(tmp_path: Path) -> None:
    buckets = 340
    (tmp_path / "main.tf").write_text("".join(
        f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "acme-bucket-{i}"\n}}\n\n'
        f'resource "aws_s3_bucket_acl" "b{i}" {{\n  bucket = aws_s3_bucket.b{i}.id\n  acl    = "public-read"\n}}\n\n'
        for i in range(buckets)))
    proc = subprocess.run([sys.executable, "-m", "iacgate", "check", ".", "--format", "markdown",
                           "--output", "json=report.json"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 1, proc.stderr
    total = json.loads((tmp_path / "report.json").read_text())["summary"]["findings"]
    assert total >= 2000
    comment = proc.stdout
    assert len(comment) <= 65_536
    assert comment.startswith("## ❌ iacgate: FAIL")
    assert "Comment shortened to stay within 65,536 characters" in comment
    cut = re.search(r"details of (\d+) of (\d+) resources were left out", comment)
    assert cut and int(cut.group(2)) == buckets and int(cut.group(1)) > 0


# --------------------------------------------------------------------------------------------- docs


def test_integration_docs_name_only_options_the_command_has() -> None:
    help_text = subprocess.run([sys.executable, "-m", "iacgate", "check", "--help"], capture_output=True,
                               text=True, timeout=60, check=False, env={**os.environ, "COLUMNS": "200"}).stdout
    docs = (REPO / "docs" / "integrations.md").read_text() + (ATLANTIS / "README.md").read_text()
    flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", docs))
    assert {"--source-root", "--new-only", "--baseline", "--format", "--output"} <= flags
    other_tools = {"--repo-config", "--enable-policy-checks", "--quiet", "--clear-policy-approval"}
    assert {f for f in flags - other_tools if f not in help_text} == set()
