"""A full run of the gate has no side effects: no network connection, no program started (no
``terraform``, no module download), and nothing written but the report files it was asked for.
Forking is allowed: the gate's worker processes are copies of itself running its own code (they
inherit these guards)."""
from __future__ import annotations

import builtins
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iacgate.cli import app

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class SideEffect(AssertionError):
    pass


def _forbidden(what: str):  # type: ignore[no-untyped-def]
    def refuse(*args: object, **kwargs: object) -> None:
        raise SideEffect(f"{what} called with {args[:2]!r}")
    return refuse


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A copy of the examples as the current folder, a private home, and every way out blocked.
    Writes are recorded (not refused) so the test can say exactly which files were written."""
    work = tmp_path / "work"
    shutil.copytree(EXAMPLES, work / "examples")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    calls: list[str] = []

    def record(what: str):  # type: ignore[no-untyped-def]
        refuse = _forbidden(what)

        def called(*args: object, **kwargs: object) -> None:
            calls.append(what)
            refuse(*args, **kwargs)
        return called

    for name in ("socket", "create_connection", "socketpair", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, record(f"socket.{name}"))
    monkeypatch.setattr(subprocess, "Popen", record("subprocess.Popen"))
    for name in ("system", "popen", "execv", "execve", "execvp", "posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, record(f"os.{name}"))

    written: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def tracking_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wax+"):
            written.append(os.path.realpath(file))
        return real_open(file, mode, *args, **kwargs)

    def tracking_os_open(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if flags & _WRITE_FLAGS:
            written.append(os.path.realpath(path))
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", tracking_open)
    monkeypatch.setattr(os, "open", tracking_os_open)
    return {"work": work, "home": home, "calls": calls, "written": written}


@pytest.mark.parametrize("target", ["examples/terraform", "examples/cloudformation", "examples/plan"])
def test_full_run_opens_no_socket_starts_nothing_and_writes_only_its_reports(sandbox: dict, target: str) -> None:
    work, home = sandbox["work"], sandbox["home"]
    before = _tree(work)
    out = work / "reports"
    out.mkdir()
    args = ["check", target, "--format", "json", "-o", f"sarif={out / 'r.sarif'}",
            "-o", f"markdown={out / 'r.md'}", "--no-cache"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), (result.exit_code, result.output[-2000:], result.exception)
    assert not isinstance(result.exception, SideEffect), result.exception
    assert sandbox["calls"] == []
    data = json.loads(result.stdout)
    assert data["summary"]["files"] > 0 and data["summary"]["decision"] in ("pass", "fail")
    assert set(sandbox["written"]) == {os.path.realpath(out / "r.sarif"), os.path.realpath(out / "r.md")}
    assert _tree(work) == {**before, **{k: v for k, v in _tree(work).items() if k.startswith("reports/")}}
    assert sorted(p.name for p in out.iterdir()) == ["r.md", "r.sarif"]
    assert not any(home.rglob("*")), "nothing written to the home folder or the user cache"


def test_remote_module_is_reported_not_downloaded(sandbox: dict) -> None:
    stack = sandbox["work"] / "remote"
    stack.mkdir()
    (stack / "main.tf").write_text('module "vpc" {\n  source  = "terraform-aws-modules/vpc/aws"\n'
                                   '  version = "5.0.0"\n}\n\nmodule "git" {\n'
                                   '  source = "git::https://example.com/modules.git//s3?ref=v1"\n}\n')
    sandbox["written"].clear()
    result = CliRunner().invoke(app, ["check", "remote", "--format", "json", "--no-cache"])
    assert sandbox["calls"] == [] and sandbox["written"] == []
    data = json.loads(result.stdout)
    messages = " ".join(e["message"] for e in data["errors"])
    assert "vpc" in messages and "git" in messages  # each unanalysed module is named


def test_the_sandbox_would_catch_a_connection(sandbox: dict) -> None:
    with pytest.raises(SideEffect):
        socket.create_connection(("example.com", 443))
    with pytest.raises(SideEffect):
        subprocess.run(["terraform", "version"])
    assert sandbox["calls"] == ["socket.create_connection", "subprocess.Popen"]
