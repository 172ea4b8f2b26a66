"""Account-level settings declared to the gate (``--account-context FILE``).

The configuration cannot show settings made outside it (an account's S3 public access block set by
hand or by another stack). A user can declare them in a small YAML or JSON file::

    s3_public_access_block:
      block_public_acls: true
      block_public_policy: true
      ignore_public_acls: true
      restrict_public_buckets: true
"""
from __future__ import annotations

from typing import Any

from .discovery import display_path
from .model import AccountPublicAccessBlock, PublicAccessBlock
from .values import Source, known

ADDRESS = "account-context"


def load_account_context(path: str) -> tuple[list[AccountPublicAccessBlock], str | None]:
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data: Any = yaml.safe_load(fh)
    except OSError as exc:
        return [], f"--account-context {path}: {exc.strerror}"
    except yaml.YAMLError as exc:
        return [], f"--account-context {path}: not valid YAML/JSON: {exc}"
    if not isinstance(data, dict):
        return [], f"--account-context {path}: expected a mapping"
    settings = data.get("s3_public_access_block")
    if settings is None:
        return [], None
    if not isinstance(settings, dict):
        return [], f"--account-context {path}: s3_public_access_block must be a mapping"
    source = Source(display_path(path), None, None, ADDRESS)
    values = {}
    for name in PublicAccessBlock.SETTINGS:
        value = settings.get(name, False)
        if not isinstance(value, bool):
            return [], f"--account-context {path}: s3_public_access_block.{name} must be true or false"
        values[name] = known(value, source.at(name))
    unknown_keys = set(settings) - set(PublicAccessBlock.SETTINGS)
    if unknown_keys:
        return [], f"--account-context {path}: unknown setting(s) {', '.join(sorted(unknown_keys))}"
    return [AccountPublicAccessBlock(address=ADDRESS, resource_type="account-context",
                                     source_kind="context", source=source, **values)], None
