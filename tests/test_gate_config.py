"""Project configuration: .iacgate.yaml or [tool.iacgate] in pyproject.toml."""
from __future__ import annotations

from pathlib import Path

import pytest

from iacgate.config import ConfigError, load_config


def test_no_config_is_empty(tmp_path: Path) -> None:
    assert load_config(tmp_path) == {}
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "infra"\n')
    assert load_config(tmp_path) == {}


def test_yaml_config_every_option(tmp_path: Path) -> None:
    (tmp_path / ".iacgate.yaml").write_text("""\
fail_on: medium
unknown: fail
format: text
outputs: {sarif: results.sarif, markdown: comment.md}
policies: [policies/org]
only: IG-S3-*
skip: [IG-S3-011]
severity: low
ignore-file: .iacgate-ignore.yaml
baseline: .iacgate-baseline.json
new_only: true
var_files: [env/prod.tfvars]
account_context: account.yaml
max_file_size: 5000000
cache: false
""")
    config = load_config(tmp_path)
    assert config["fail_on"] == "medium" and config["unknown"] == "fail"
    assert config["outputs"] == {"sarif": "results.sarif", "markdown": "comment.md"}
    assert config["only"] == ["IG-S3-*"] and config["ignore_file"] == ".iacgate-ignore.yaml"
    assert config["new_only"] is True and config["max_file_size"] == 5000000


def test_pyproject_tool_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.iacgate]\nfail-on = "critical"\noutputs = ["sarif=out.sarif"]\nvar_files = "a.tfvars"\n')
    assert load_config(tmp_path) == {"fail_on": "critical", "outputs": ["sarif=out.sarif"],
                                     "var_files": ["a.tfvars"]}


def test_yaml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.iacgate]\nfail_on = "critical"\n')
    (tmp_path / ".iacgate.yaml").write_text("fail_on: low\n")
    assert load_config(tmp_path)["fail_on"] == "low"


@pytest.mark.parametrize("text,names", [
    ("fail_on: hihg\n", "'fail_on'"),
    ("new_only: sometimes\n", "'new_only'"),
    ("max_file_size: 0\n", "'max_file_size'"),
    ("outputs: {pdf: out.pdf}\n", "'outputs'"),
    ("fial_on: high\n", "unknown key 'fial_on'"),
    ("- fail_on\n", "expected a mapping"),
    ("fail_on: [\n", "not valid YAML"),
])
def test_bad_config_names_the_key(tmp_path: Path, text: str, names: str) -> None:
    (tmp_path / ".iacgate.yaml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert names in str(info.value) and ".iacgate.yaml" in str(info.value)


def test_bad_pyproject_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.iacgate\n")
    with pytest.raises(ConfigError, match="pyproject.toml"):
        load_config(tmp_path)
