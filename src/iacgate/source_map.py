"""Plan findings mapped back to the Terraform source that declares them (``--source-root DIR``).

A plan names resources by address and keeps, for each, its module-relative address
(``meta["config_address"]``) and the chain of module call sources from the root
(``meta["module_source"]``). Given the folder of the root module, the declaring ``.tf`` file and
block span are found by following local module sources (``./``, ``../``) and parsing each module's
files. A finding on a plan resource (and each piece of evidence) then points at that block, so
SARIF, annotations and the other formats show the line a reviewer can change.

What cannot be mapped keeps the plan location: a resource of a remote module (its call is added
as evidence instead), a provider configured outside the files, a file that no longer declares the
resource (reported as a warning, since the source root and the plan disagree).

Inline ``# iacgate:ignore`` comments on the mapped blocks apply to plan findings too.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from .adapters.plan.references import parse_module_address
from .adapters.terraform.evaluate import is_local_source
from .adapters.terraform.hcl import Block, Lit, SourceTextError, decode_source, parse_file
from .findings import Evidence, Finding
from .raw import InputError, RawResource
from .values import Source

CONFIG_SUFFIXES: tuple[str, ...] = (".tf", ".tf.json")
MAX_SOURCE_FILE_SIZE = 10 * 1024 * 1024
_SHOWN_UNMAPPED = 3

BlockKey = tuple[str, ...]  # ("resource", type, name), ("provider", name, alias), ("variable", name)


class SourceRootError(ValueError):
    """The ``--source-root`` folder does not exist (a usage error)."""


@dataclass(frozen=True, slots=True)
class Declaration:
    """Where a block is written, and the inline suppressions written above it."""

    file: str
    line: int
    end_line: int
    ignores: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class PlanOrigin:
    """What a plan says about where one of its resources is declared."""

    block: BlockKey
    module_sources: tuple[str, ...]  # call sources from the root to the declaring module
    module_calls: tuple[str, ...]    # the matching call names


@dataclass
class SourceMap:
    """Declarations of plan resources, by (plan file, address)."""

    root: str
    declarations: dict[tuple[str, str], Declaration] = field(default_factory=dict)
    remote_calls: dict[tuple[str, str], tuple[Declaration, str, str]] = field(default_factory=dict)
    warnings: list[InputError] = field(default_factory=list)

    def declaration(self, file: str | None, address: str | None) -> Declaration | None:
        if file is None or address is None:
            return None
        return self.declarations.get((file, address))


# --------------------------------------------------------------------------------- plan side


def origin_of(resource: RawResource) -> PlanOrigin | None:
    """The block that declares a plan resource, or None for what no block declares."""
    calls_path = parse_module_address(resource.module) or ()
    calls = tuple(name for name, _ in calls_path)
    sources = tuple(str(s) for s in resource.meta.get("module_source") or ())
    if resource.mode in ("managed", "data"):
        config_address = resource.meta.get("config_address")
        if not isinstance(config_address, str):
            return None
        block = _resource_block_key(config_address)
        return PlanOrigin(block, sources, calls) if block else None
    local = resource.address[len(resource.module) + 1:] if resource.module else resource.address
    if resource.mode == "provider":
        if resource.module:  # a provider block inside a module: its chain is not recorded
            return None
        parts = local.split(".")
        if len(parts) in (2, 3) and parts[0] == "provider":
            return PlanOrigin(("provider", parts[1], parts[2] if len(parts) == 3 else ""), (), ())
        return None
    if resource.mode in ("variable", "output") and not resource.module:
        return PlanOrigin((resource.mode, resource.name), (), ())
    return None


def _resource_block_key(config_address: str) -> BlockKey | None:
    parts = config_address.split(".")
    if len(parts) == 3 and parts[0] == "data":
        return ("data", parts[1], parts[2])
    if len(parts) == 2:
        return ("resource", parts[0], parts[1])
    return None


# ------------------------------------------------------------------------------- source side


def _block_keys(block: Block) -> list[BlockKey]:
    if block.type in ("resource", "data") and len(block.labels) == 2:
        return [(block.type, *block.labels)]
    if block.type == "provider" and len(block.labels) == 1:
        alias = block.attribute("alias")
        name = alias.expr.value if alias is not None and isinstance(alias.expr, Lit) else ""
        return [("provider", block.labels[0], str(name or ""))]
    if block.type in ("variable", "output", "module") and len(block.labels) == 1:
        return [(block.type, block.labels[0])]
    return []


def _ignores(block: Block) -> tuple[dict[str, Any], ...]:
    return tuple({"rule": i.rule, "reason": i.reason, "until": i.until, "line": i.line}
                 for i in block.ignores)


def _read_text(path: str) -> str | None:
    try:
        if os.path.getsize(path) > MAX_SOURCE_FILE_SIZE:
            return None
        with open(path, "rb") as handle:
            return decode_source(handle.read())
    except (OSError, SourceTextError):
        return None


def module_declarations(directory: str) -> dict[BlockKey, Declaration]:
    """The blocks of one module folder. Override files (``*_override.tf``) only fill in what the
    primary files do not declare, since Terraform merges them into the primary block."""
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(CONFIG_SUFFIXES))
    except OSError:
        return {}
    is_override = lambda n: n.split(".")[0] == "override" or n.split(".")[0].endswith("_override")  # noqa: E731
    found: dict[BlockKey, Declaration] = {}
    for name in sorted(names, key=lambda n: (is_override(n), n)):
        path = os.path.join(directory, name)
        text = _read_text(path) if os.path.isfile(path) else None
        if text is None:
            continue
        for block in parse_file(path, text).blocks:
            for key in _block_keys(block):
                found.setdefault(key, Declaration(os.path.normpath(path), block.line, block.end_line,
                                                  _ignores(block)))
    return found


class _Sources:
    """Module folders below the source root, parsed on first use."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.modules: dict[str, dict[BlockKey, Declaration]] = {}

    def blocks(self, directory: str) -> dict[BlockKey, Declaration]:
        key = os.path.normpath(directory)
        if key not in self.modules:
            self.modules[key] = module_declarations(key)
        return self.modules[key]

    def locate(self, origin: PlanOrigin) -> tuple[str, Declaration | None, tuple[Declaration, str, str] | None]:
        """("found", declaration, None), ("remote", None, (module call, call name, source)) or
        ("missing", None, None)."""
        directory = self.root
        for depth, source in enumerate(origin.module_sources):
            if not is_local_source(source):
                if depth >= len(origin.module_calls):
                    return "remote", None, None
                call = origin.module_calls[depth]
                declared = self.blocks(directory).get(("module", call))
                return "remote", None, (declared, call, source) if declared else None
            directory = os.path.join(directory, source)
        declaration = self.blocks(directory).get(origin.block)
        return ("found", declaration, None) if declaration else ("missing", None, None)


# ------------------------------------------------------------------------------------ mapping


def check_source_root(root: str) -> None:
    """Raises :class:`SourceRootError` when ``root`` is not a folder."""
    if not os.path.isdir(root):
        raise SourceRootError(f"--source-root {root}: not a folder (give the folder of the root "
                              "module the plan was made from)")


def build_source_map(resources: Iterable[RawResource], root: str,
                     wanted: Iterable[tuple[str, str]] | None = None) -> SourceMap:
    """Declarations under ``root`` of the plan resources (only those ``wanted``, as (plan file,
    address) pairs, when given). Raises :class:`SourceRootError` when ``root`` is not a folder."""
    check_source_root(root)
    wanted_set = set(wanted) if wanted is not None else None
    sources = _Sources(root)
    mapping = SourceMap(root)
    unmapped: list[str] = []
    for resource in resources:
        key = (resource.file, resource.address)
        if resource.source_kind != "plan" or (wanted_set is not None and key not in wanted_set):
            continue
        origin = origin_of(resource)
        if origin is None:
            continue
        outcome, declaration, remote = sources.locate(origin)
        if declaration is not None:
            mapping.declarations[key] = declaration
        elif remote is not None:
            mapping.remote_calls[key] = remote
        elif outcome == "missing" and origin.block[0] in ("resource", "data"):
            unmapped.append(resource.address)
    if unmapped:
        shown = ", ".join(sorted(unmapped)[:_SHOWN_UNMAPPED])
        more = f" and {len(unmapped) - _SHOWN_UNMAPPED} more" if len(unmapped) > _SHOWN_UNMAPPED else ""
        mapping.warnings.append(InputError(
            root, f"{len(unmapped)} plan resource(s) are not declared under the source root ({shown}{more}); "
                  "their findings point at the plan: is the source root the folder the plan was made from?",
            kind="warning"))
    return mapping


def _relocated_evidence(evidence: Evidence, mapping: SourceMap) -> Evidence:
    declaration = mapping.declaration(evidence.file, evidence.address)
    if declaration is None:
        return evidence
    return dataclasses.replace(evidence, file=declaration.file, line=declaration.line,
                               end_line=declaration.end_line)


def relocate(finding: Finding, mapping: SourceMap) -> Finding:
    """The finding with its location and evidence moved from the plan to the declaring blocks."""
    loc = finding.location
    key = (loc.file, finding.address)
    declaration = mapping.declarations.get(key)
    evidence = [_relocated_evidence(e, mapping) for e in finding.evidence]
    location = loc
    if declaration is not None:
        location = Source(declaration.file, declaration.line, declaration.end_line, loc.address, loc.attribute)
    elif key in mapping.remote_calls:
        call, name, source = mapping.remote_calls[key]
        if all(e.file != call.file or e.line != call.line for e in evidence):
            evidence.append(Evidence(f"module.{name}", call.file, call.line, call.end_line,
                                     f"module call; the resource is declared in its remote source {source}"))
    if location is loc and evidence == finding.evidence:
        return finding
    return dataclasses.replace(finding, location=location, evidence=evidence)


def finding_keys(findings: Iterable[Finding]) -> set[tuple[str, str]]:
    """The (file, address) pairs findings and their evidence refer to."""
    keys: set[tuple[str, str]] = set()
    for finding in findings:
        keys.add((finding.location.file, finding.address))
        keys.update((e.file, e.address) for e in finding.evidence if e.file and e.address)
    return keys


def map_findings(findings: Sequence[Finding], resources: Sequence[RawResource],
                 root: str) -> tuple[list[Finding], SourceMap]:
    """Plan findings (and their evidence) pointed at the ``.tf`` blocks under ``root``; other
    findings are returned unchanged."""
    mapping = build_source_map(resources, root, finding_keys(findings))
    return [relocate(f, mapping) for f in findings], mapping


def with_inline_ignores(meta_by_subject: Mapping[tuple[str, str], dict[str, Any]], findings: Iterable[Finding],
                        mapping: SourceMap) -> dict[tuple[str, str], dict[str, Any]]:
    """Subject meta (keyed by address and file) with the ``# iacgate:ignore`` comments of the mapped
    blocks added for the plan findings located in them (a plan keeps no comments, so without a
    source root they are out of reach)."""
    out = {key: dict(meta) for key, meta in meta_by_subject.items()}
    by_address = {address: d for (_, address), d in mapping.declarations.items()}
    for finding in findings:
        declaration = by_address.get(finding.address) if finding.source_kind == "plan" else None
        if declaration is None or not declaration.ignores:
            continue
        meta = out.setdefault((finding.address, finding.location.file), {})
        if not meta.get("ignore"):
            meta["ignore"] = [dict(i) for i in declaration.ignores]
            meta["file"] = declaration.file
    return out
