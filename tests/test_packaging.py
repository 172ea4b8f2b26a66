"""The package ships what it needs: every source package is listed, the rule packs are found."""
import subprocess
import sys

from pathlib import Path

import pytest

from iacgate.resources import builtin_policies_dir, rule_schema_path

tomllib = pytest.importorskip("tomllib")

REPO = Path(__file__).resolve().parents[1]


def test_every_source_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    src = REPO / "src"
    found = {".".join(p.parent.relative_to(src).parts) for p in src.rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert "iacgate.policies" in listed


def test_builtin_policies_are_found():
    assert builtin_policies_dir().is_dir()
    assert rule_schema_path().is_file()


def test_version_command():
    out = subprocess.run([sys.executable, "-m", "iacgate", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.startswith("iacgate 0.")


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    marker = readme.index("<!-- ci:test-command -->")
    block = readme[marker:].split("```", 2)[1]
    command = block.split("\n", 1)[1].strip()
    assert "pytest" in command and "pip install" in command
    assert "ci:test-command" in (REPO / ".ci" / "run").read_text()
