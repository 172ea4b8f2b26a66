"""Modules that ``terraform init`` downloaded: ``.terraform/modules/modules.json`` in a root folder.

The manifest maps a module call key (``vpc``, ``a.b`` for a call nested in module ``a``) to the
folder holding its source, relative to the root folder.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Callable

MANIFEST = os.path.join(".terraform", "modules", "modules.json")
MAX_MANIFEST_SIZE = 5 * 1024 * 1024


@dataclass(frozen=True)
class ModuleManifest:
    root_dir: str
    dirs: dict[str, str] = field(default_factory=dict)  # call key -> folder

    def dir_for(self, key: str, is_dir: Callable[[str], bool] = os.path.isdir) -> str | None:
        directory = self.dirs.get(key)
        if directory is None:
            return None
        path = directory if os.path.isabs(directory) else os.path.join(self.root_dir, directory)
        return os.path.normpath(path) if is_dir(path) else None


def load_manifest(root_dir: str) -> ModuleManifest | None:
    """The root folder's module manifest, or None when there is none (or it cannot be read)."""
    path = os.path.join(root_dir, MANIFEST)
    try:
        if os.path.getsize(path) > MAX_MANIFEST_SIZE:
            return None
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    entries = data.get("Modules") if isinstance(data, dict) else None
    dirs: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("Key"), str) and isinstance(entry.get("Dir"), str):
            if entry["Key"]:
                dirs[entry["Key"]] = entry["Dir"]
    return ModuleManifest(root_dir, dirs)
