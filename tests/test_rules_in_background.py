"""The rule packs are checked in a forked process while the inputs load (PendingRules, ForkedCall):
the rules and faults are exactly those of a check done in one process; a check process that fails
is redone here; workers that analyse stacks get the rules resolved before they are forked, never by
a check of their own; a run that stops early leaves no process behind."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import test_parallel_roots
import test_parallel_templates
from test_parallel_roots import scan_report

from iacgate.rules import loader
from iacgate.rules.loader import BuiltinCheck, PendingRules
from iacgate.workers import ForkedCall, ForkedCallFailed

# the trees and templates of the parallel tests, and the settings that send them to workers
tree, root_workers = test_parallel_roots.tree, test_parallel_roots.root_workers
templates, template_workers = test_parallel_templates.templates, test_parallel_templates.template_workers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is forked (Linux only)")



def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_forked_call_gives_back_the_value_made_in_another_process() -> None:
    assert ForkedCall(lambda: {"rules": [1, "two", None]}).result() == {"rules": [1, "two", None]}
    assert ForkedCall(os.getpid).result() != os.getpid()


@pytest.mark.parametrize("work", [lambda: 1 / 0, lambda: os._exit(3), lambda: (lambda: None)],
                         ids=["raises", "exits", "unpicklable value"])
def test_a_forked_call_that_fails_says_so(work) -> None:  # type: ignore[no-untyped-def]
    call = ForkedCall(work)
    pid = call.pid
    with pytest.raises(ForkedCallFailed):
        call.result()
    assert pid is not None and _gone(pid)


def test_a_forked_call_closed_before_its_result_is_ended() -> None:
    call = ForkedCall(lambda: time.sleep(60))
    pid = call.pid
    started = time.monotonic()
    call.close()
    assert pid is not None and _gone(pid) and time.monotonic() - started < 5
    with pytest.raises(ForkedCallFailed):
        call.result()


def test_a_process_forked_meanwhile_cannot_take_the_result() -> None:
    check = ForkedCall(lambda: time.sleep(0.2) or "checked")

    def steal() -> str:
        try:
            return check.result()
        except ForkedCallFailed:
            return "refused"

    assert ForkedCall(steal).result() == "refused"
    assert check.result() == "checked"


@pytest.fixture
def user_pack(tmp_path: Path) -> Path:
    """A user pack: a good rule, a file that does not parse, one off the schema, one that replaces a
    built-in rule."""
    pack = tmp_path / "org"
    pack.mkdir()
    builtin = (loader.builtin_policies_dir() / "s3" / "ig-s3-001-public-acl.yaml").read_text(encoding="utf-8")
    (pack / "good.yaml").write_text(builtin.replace("id: IG-S3-001", "id: ORG-S3-001"), encoding="utf-8")
    (pack / "broken.yaml").write_text("id: ORG-X-001\ntitle: [\n", encoding="utf-8")
    (pack / "off-schema.yaml").write_text(builtin.replace("id: IG-S3-001", "id: ORG-S3-002").replace(
        "severity: high", "severity: urgent"), encoding="utf-8")
    (pack / "override.yaml").write_text(builtin, encoding="utf-8")
    return pack


def _summary(loaded: tuple[list, list]) -> tuple[list, list]:
    rules, errors = loaded
    return [(r.id, r.file, r.builtin, r.overrides, r.data) for r in rules], errors


def test_a_background_check_gives_what_a_check_here_gives(user_pack: Path) -> None:
    pending = PendingRules([str(user_pack)], background=True)
    assert pending._checking is not None  # the check did go to a process
    background = _summary(pending.result())
    assert background == _summary(PendingRules([str(user_pack)]).result())
    ids, errors = [r[0] for r in background[0]], background[1]
    assert "ORG-S3-001" in ids and "ORG-S3-002" not in ids
    assert {(Path(e.file).name, e.kind) for e in errors} >= {("broken.yaml", "error"), ("off-schema.yaml", "error"),
                                                            ("override.yaml", "warning")}


def test_a_failed_background_check_is_redone_here(user_pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    real = loader._checked_packs

    def dies_in_the_child(packs):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            os._exit(9)
        return real(packs)

    monkeypatch.setattr(loader, "_checked_packs", dies_in_the_child)
    pending = PendingRules([str(user_pack)], background=True)
    assert pending._checking is not None
    assert _summary(pending.result()) == _summary(PendingRules([str(user_pack)]).result())


def test_a_cached_pack_needs_no_check_process(tmp_path: Path) -> None:
    PendingRules(cache_dir=str(tmp_path)).result()  # fills the cache
    pending = PendingRules(cache_dir=str(tmp_path), background=True)
    assert pending._checking is None
    assert _summary(pending.result()) == _summary(PendingRules().result())


def test_the_yaml_and_schema_libraries_are_not_imported_here() -> None:
    program = ("import sys\nfrom iacgate.rules.loader import PendingRules\n"
               "rules, errors = PendingRules(background=True).result()\n"
               "assert rules and not errors\n"
               "print(sorted(m for m in ('yaml', 'jsonschema') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _record_checks(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Append the process id of every check of the rule files to ``log`` (from any process)."""
    real = loader._checked_packs

    def recorded(packs):  # type: ignore[no-untyped-def]
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        return real(packs)

    monkeypatch.setattr(loader, "_checked_packs", recorded)


def _assert_workers_inherit_the_rules(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scanned with two workers, the rule files are checked once, in the check process (never again
    by a worker), and the report is the one-process report."""
    log = tmp_path / "checks.log"
    _record_checks(monkeypatch, log)
    pooled = scan_report(root, workers=2)
    checks = log.read_text(encoding="utf-8").split()
    assert len(checks) == 1 and checks[0] != str(os.getpid())
    assert pooled == scan_report(root, workers=1)


def test_template_workers_inherit_the_rules(templates: Path, template_workers: None,
                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_workers_inherit_the_rules(templates, tmp_path, monkeypatch)


def test_root_workers_inherit_the_rules(tree: Path, root_workers: None,
                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_workers_inherit_the_rules(tree, tmp_path, monkeypatch)


def test_a_scan_that_fails_leaves_no_check_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iacgate import scan as scan_module
    from iacgate.load import LoadOptions

    started: list[int] = []
    real_init = ForkedCall.__init__

    def slow_check(self, work):  # type: ignore[no-untyped-def]
        real_init(self, lambda: time.sleep(60))
        started.append(self.pid)

    def failing_load(paths, options):  # type: ignore[no-untyped-def]
        raise RuntimeError("load failed")

    monkeypatch.setattr(ForkedCall, "__init__", slow_check)
    monkeypatch.setattr(scan_module, "load", failing_load)
    with pytest.raises(RuntimeError):
        scan_module.scan([str(tmp_path)], scan_module.ScanOptions(load=LoadOptions()))
    assert len(started) == 1 and _gone(started[0])


def test_the_check_started_at_launch_stands_for_the_built_in_pack(user_pack: Path) -> None:
    started = BuiltinCheck()
    pending = PendingRules([str(user_pack)], background=True, builtin_check=started)
    assert [p.builtin for p in pending._to_check] == [False]  # only the user pack is checked again
    assert _summary(pending.result()) == _summary(PendingRules([str(user_pack)]).result())
    assert started.call is not None and started.call.pid is None  # its value taken, its process reaped


def test_a_built_in_pack_that_changed_since_launch_is_checked_again(user_pack: Path) -> None:
    started = BuiltinCheck()
    pid = started.call.pid if started.call is not None else None
    first = started.pack.files[0]
    started.pack.files[0] = loader._PackFile(first.name, first.display, (first.text or "") + "# edited\n", None)
    pending = PendingRules([str(user_pack)], background=True, builtin_check=started)
    assert _summary(pending.result()) == _summary(PendingRules([str(user_pack)]).result())
    assert pid is not None and _gone(pid)


def test_a_cached_built_in_pack_ends_the_check_started_at_launch(tmp_path: Path) -> None:
    PendingRules(cache_dir=str(tmp_path)).result()  # fills the cache
    started = BuiltinCheck()
    pid = started.call.pid if started.call is not None else None
    pending = PendingRules(cache_dir=str(tmp_path), background=True, builtin_check=started)
    assert pid is not None and _gone(pid)
    assert _summary(pending.result()) == _summary(PendingRules().result())


def test_a_run_that_never_gets_to_its_rules_leaves_no_check_behind(tmp_path: Path) -> None:
    """A usage error ends ``iacgate check`` before its rules are wanted: the check the console entry
    started is ended with it (it would otherwise hold the run's output open)."""
    pids = tmp_path / "pids"
    probe = ("import sys, time\nfrom iacgate.rules import loader\nreal = loader.BuiltinCheck.__init__\n"
             "loader._checked_packs = lambda packs: time.sleep(60)\n"  # still checking when the run ends
             "def init(self):\n"
             "    real(self)\n"
             f"    open({str(pids)!r}, 'a').write(str(self.call.pid) + '\\n')\n"
             "loader.BuiltinCheck.__init__ = init\n"
             "import iacgate.launcher as launcher\nsys.argv = ['iacgate'] + sys.argv[1:]\nlauncher.main()\n")
    done = subprocess.run([sys.executable, "-c", probe, "check", "--format", "nope", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    (pid,) = [int(p) for p in pids.read_text(encoding="utf-8").split()]
    assert _gone(pid)


def test_template_workers_inherit_the_modules_they_run(templates: Path, tmp_path: Path) -> None:
    """In a fresh run, the modules a template worker runs are imported before the workers are forked
    (each worker would otherwise import them again on its own clock)."""
    log = tmp_path / "modules.log"
    program = f"""
import sys
import iacgate.load as load
import iacgate.scan as scan
load.DOCUMENT_POOL_MIN_FILES, load.DOCUMENT_POOL_MIN_BYTES = 2, 1
wanted = ["iacgate" + name for name in scan.WORKER_MODULES]
wanted += ["iacgate.adapters.cloudformation.aws_s3", "iacgate.adapters.cloudformation.aws_ec2"]
real = load._load_and_analyse
def share(docs):
    with open({str(log)!r}, "a", encoding="utf-8") as out:
        out.write(" ".join(m for m in wanted if m not in sys.modules) + "|\\n")
    return real(docs)
load._load_and_analyse = share
scan.scan([{str(templates)!r}], scan.ScanOptions(load=load.LoadOptions(parse_workers=2)))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    shares = log.read_text(encoding="utf-8").splitlines()
    assert shares and all(line == "|" for line in shares), shares
