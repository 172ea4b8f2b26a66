"""Helpers shared by the Terraform loader tests (this module holds no tests of its own)."""
from __future__ import annotations

import textwrap
from pathlib import Path

from iacgate.adapters.terraform.loader import TerraformOptions, load_terraform
from iacgate.raw import LoadResult, RawResource

TF_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json")


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def scan(root: Path) -> dict[str, list[str]]:
    """Folder -> Terraform files, as the file discovery step hands them over."""
    dirs: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name.endswith(TF_SUFFIXES) and ".terraform" not in path.parts:
            dirs.setdefault(str(path.parent), []).append(str(path))
    return dirs


def load(root: Path, files: dict[str, str] | None = None, **options: object) -> LoadResult:
    if files:
        write_tree(root, files)
    return load_terraform(scan(root), TerraformOptions(**options))  # type: ignore[arg-type]


def by_address(result: LoadResult) -> dict[str, RawResource]:
    return {r.address: r for r in result.resources}
