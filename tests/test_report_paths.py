"""The paths of one report (ReportPaths) read exactly as display_path gives them, file by file, and
display_path reads as pathlib's relative_to would (through resolve() for symlinks): below the current
folder, through symlinked folders and files, outside it, and names that are not local files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from iacgate.report.common import ReportPaths, _display_path_by_parts, display_path, is_local_path


def by_pathlib(file: str | None) -> str | None:
    """What display_path means, spelled with pathlib (the reading it takes where paths are not plain
    POSIX strings; its string comparison on POSIX is a speed-up)."""
    if not file or not is_local_path(file):
        return file
    return _display_path_by_parts(file, os.getcwd())


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    (tmp_path / "repo" / "a" / "b").mkdir(parents=True)
    (tmp_path / "other" / "x").mkdir(parents=True)
    (tmp_path / "repo" / "a" / "b" / "main.tf").write_text("", encoding="utf-8")
    (tmp_path / "other" / "x" / "o.tf").write_text("", encoding="utf-8")
    (tmp_path / "link-to-repo").symlink_to(tmp_path / "repo")
    (tmp_path / "other" / "x" / "lnk.tf").symlink_to(tmp_path / "repo" / "a" / "b" / "main.tf")
    (tmp_path / "repo" / "a" / "out").symlink_to(tmp_path / "other")
    return tmp_path


@pytest.mark.skipif(os.sep != "/", reason="POSIX paths")
@pytest.mark.parametrize("cwd", ["repo", "link-to-repo", "repo/a", "", "other/x"])
def test_report_paths_read_as_display_path(layout: Path, cwd: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root = str(layout)
    names = ["main.tf", "a/b/main.tf", "./a/../a/b/main.tf", f"{root}/repo/a/b/main.tf",
             f"{root}/link-to-repo/a/b/main.tf", f"{root}/other/x/o.tf", f"{root}/other/x/lnk.tf",
             "a/out/x/o.tf", "../other/x/o.tf", "..", ".", "", None, "-", "<stdin>", "git::https://x/y.git",
             "s3://b/k", f"{root}/repo", root, "/", "/etc/hosts", "missing/z.tf", "a//b///main.tf",
             f"{root}/repo/a/b/", "a/b/main.tf\x00", "caf\u00e9.tf", f"{root}/other/x/o.tf\x00",
             f"{root}/other/x/missing.tf", f"{root}/repo/a/out/x/o.tf", f"{root}/repo/a/out/x/lnk.tf"]
    monkeypatch.chdir(layout / cwd)
    shown = ReportPaths()
    assert [shown(name) for name in names] == [display_path(name) for name in names]
    assert [display_path(name) for name in names] == [by_pathlib(name) for name in names]
    assert shown(f"{root}/other/x/lnk.tf") == display_path(f"{root}/other/x/lnk.tf")


def test_report_paths_from_the_file_system_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    shown = ReportPaths()
    for name in ("/", "/etc/hosts", "etc/hosts", "."):
        assert shown(name) == display_path(name) == by_pathlib(name)
