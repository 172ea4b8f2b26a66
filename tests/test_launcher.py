"""The console entry point ends the process itself (no interpreter teardown): output must still be
complete and exit statuses must be those of ``sys.exit``."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("argument", "status", "stderr"), [
    ("None", 0, ""), ("0", 0, ""), ("1", 1, ""), ("2", 2, ""), ("'bad usage'", 1, "bad usage\n"),
])
def test_end_process_exits_as_sys_exit_would(argument: str, status: int, stderr: str) -> None:
    done = _run(f"from iacgate.launcher import end_process\nend_process({argument})")
    assert done.returncode == status
    assert done.stderr == stderr


def test_buffered_output_is_flushed_before_the_process_ends() -> None:
    # 200 kB without a newline stays in the buffer until flushed: os._exit alone would drop it
    done = _run("import sys\nfrom iacgate.launcher import end_process\n"
                "sys.stdout.write('x' * 200_000)\nsys.stderr.write('tail')\nend_process(1)")
    assert done.returncode == 1
    assert done.stdout == "x" * 200_000
    assert done.stderr == "tail"


def test_console_entry_keeps_the_gate_exit_codes_and_the_report(tmp_path: Path) -> None:
    bucket = tmp_path / "main.tf"
    bucket.write_text('resource "aws_s3_bucket_acl" "a" {\n  bucket = "b"\n  acl    = "public-read"\n}\n'
                      'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n', encoding="utf-8")
    launcher = "from iacgate.launcher import main\nimport sys\nsys.argv = ['iacgate'] + sys.argv[1:]\nmain()"
    blocked = subprocess.run([sys.executable, "-c", launcher, "check", "--no-cache", "-f", "json", str(bucket)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert blocked.returncode == 1
    assert '"rule_id": "IG-S3-001"' in blocked.stdout
    assert blocked.stdout.rstrip().endswith("}")  # the whole JSON report, not a cut one
    usage = subprocess.run([sys.executable, "-c", launcher, "check", "--format", "nope", str(bucket)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert usage.returncode == 2
    version = subprocess.run([sys.executable, "-c", launcher, "--version"], capture_output=True, text=True,
                             timeout=60, check=False)
    assert version.returncode == 0 and version.stdout.startswith("iacgate ")


def test_a_profiler_still_gets_to_write_its_results(tmp_path: Path) -> None:
    out = tmp_path / "run.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "iacgate", "check",
                           "--no-cache", str(REPO / "examples" / "terraform")],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode in (0, 1), done.stderr
    assert out.is_file() and out.stat().st_size > 0


def test_the_console_entry_leaves_the_scan_unfreed_until_the_process_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """``check`` hands the scan's inputs and models to the console entry, which ends the process with
    them still held: nothing is freed object by object at the end of a run. The report is the same."""
    from iacgate import cli
    from iacgate.launcher import Launch
    from iacgate.load import LoadOptions
    from iacgate.raw import LoadResult
    from iacgate.report.json_report import report_data
    from iacgate.scan import AnalysedStacks, ScanOptions, scan

    plan = str(REPO / "examples" / "plan")
    kept: list[object] = []
    options = ScanOptions(load=LoadOptions())
    assert report_data(scan([plan], options, keep_alive=kept)) == report_data(scan([plan], options))
    assert [type(o) for o in kept] == [LoadResult, AnalysedStacks]
    assert any(r.source_kind == "plan" for r in kept[0].resources) and kept[1].models

    launch = Launch()
    monkeypatch.setattr(sys, "argv", ["iacgate", "check", "--no-cache", "-f", "json", "-o", "/dev/null", plan])
    with pytest.raises(SystemExit) as ended:
        cli.main(launch)
    assert ended.value.code == 1
    assert [type(o) for o in launch.keep_alive] == [LoadResult, AnalysedStacks]


def test_a_plan_check_imports_only_what_it_uses() -> None:
    """The rule files are checked in a forked process (YAML, JSON Schema), the report is JSON (no
    rich), nothing is HCL (no lark, no python-hcl2), and the command line needs no pydantic."""
    probe = ("import sys\nimport iacgate.launcher as launcher\nreal = launcher.end_process\n"
             "def end(code, launch=None):\n"
             "    heavy = ('pydantic', 'jsonschema', 'yaml', 'rich', 'lark', 'hcl2')\n"
             "    sys.stderr.write('imported: ' + ' '.join(m for m in heavy if m in sys.modules) + '\\n')\n"
             "    real(code, launch)\n"
             "launcher.end_process = end\nsys.argv = ['iacgate'] + sys.argv[1:]\nlauncher.main()\n")
    done = subprocess.run([sys.executable, "-c", probe, "check", "--no-cache", "-f", "json",
                           str(REPO / "examples" / "plan" / "public-website-bucket.plan.json")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and '"rule_id": "IG-S3-' in done.stdout, done.stderr
    assert "imported: \n" in done.stderr
