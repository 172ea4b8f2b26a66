"""Terraform HCL loader: folders of ``.tf`` files -> raw resources of every module instance.

Each scanned folder is a module. Folders that no scanned module calls with a local ``source`` are
roots; each root is evaluated with its variable files, and its module calls are instantiated with
their inputs, recursively (``module.a.module.b.aws_s3_bucket.x``).

Each root is evaluated on its own, with a read log of everything it saw on disk (``reads.py``). When
the caller keeps results between runs (``TerraformOptions.reuse``), it is asked about each root first:
a root it already holds is not parsed nor evaluated, and every evaluated root comes back with its key
and read log (``LoadResult.stacks``). Which folders are roots is known from a per-folder index of
local module calls in the parse cache, so unchanged folders are not even loaded from it.
"""
from __future__ import annotations

import json
import os
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ...raw import (
    InputError,
    LoadResult,
    RawResource,
    StackOrigin,
    distinct_errors,
    error_key,
)
from ...values import Unknown, Unresolved
from ... import workers as workers_pool
from ...collector import collector_paused
from .evaluate import (
    MAX_MODULE_DEPTH,
    MODULE_META_ARGS,
    ChildModule,
    Declared,
    Instance,
    ModuleDef,
    Session,
    _Instances,
    block_groups,
    build_module,
    index_suffix,
    is_local_source,
    literal_source,
    to_raw_tree,
)
from .hcl import (
    Attribute,
    Block,
    Lit,
    ParsedFile,
    SourceTextError,
    decode_source,
    lean_parser,
    parse_expression_text,
    parse_file,
)
from .reads import FILE, IS_DIR, ReadLog, Reuse, current_state, digest, file_state, unchanged
from .registry_modules import MANIFEST, ModuleManifest, load_manifest

if TYPE_CHECKING:
    from ...parse_cache import ParseCache

SOURCE_KIND = "terraform"
CONFIG_SUFFIXES = (".tf", ".tf.json")
VARFILE_SUFFIXES = (".tfvars", ".tfvars.json")


@dataclass
class TerraformOptions:
    var_files: list[str] = field(default_factory=list)     # --var-file (applied to root modules)
    vars: dict[str, str] = field(default_factory=dict)      # --var k=v
    scan_root: str | None = None                            # file()/templatefile() read only below this folder
    max_file_size: int = 10 * 1024 * 1024
    cache_dir: str | None = None                            # parse cache folder; None: no cache
    workers: int | None = None                              # parse processes; None: one per core
    reuse: Reuse | None = None                              # roots whose results the caller already holds
    # The caller's analysis of one evaluated root. When given, a tree of many roots is evaluated and
    # analysed in worker processes, and those roots come back with their analysis
    # (``StackOrigin.analysed``) instead of their resources.
    analyse: Callable[[StackOrigin], Any] | None = None
    prepare_analysis: Callable[[str], object] | None = None  # called before workers that analyse are forked


# Above these, parsing is spread over a process pool (starting workers costs more than tiny inputs).
POOL_MIN_FILES = 8
POOL_MIN_BYTES = 256 * 1024
# The per-file parse bound. The HCL grammar parses in linear time, at 0.25 MB/s or more per core even
# for the densest token streams measured, so a file of this size parses in seconds, never hangs.
HCL_MAX_BYTES = 2 * 1024 * 1024


def load_terraform(module_dirs: dict[str, list[str]], options: TerraformOptions) -> LoadResult:
    """module_dirs: folder -> the Terraform files found in it (.tf, .tf.json, terraform.tfvars,
    *.auto.tfvars, *.tfvars.json). Each folder is one module. Roots are the folders that no scanned
    module calls with a local ``source``; every root is evaluated (with its tfvars), and local module
    calls are instantiated with their inputs (recursively). A module folder that is only ever called
    is not also evaluated as a root."""
    return _Loader(options).run(module_dirs)


@dataclass
class _BuiltModule:
    """A module folder as read once per run, with what reading it saw and reported; every root
    that reaches it takes these on (a root's errors and reads are its own, so it can be reused
    alone)."""

    module: ModuleDef | None
    reads: ReadLog
    errors: list[InputError]
    files: list[str]


@dataclass
class _RootState:
    reads: ReadLog
    errors: list[InputError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    warned: set[tuple[str, str, str]] = field(default_factory=set)

    def take(self, built: _BuiltModule) -> None:
        self.reads.merge(built.reads)
        self.errors.extend(built.errors)
        self.files.extend(built.files)


class _Loader:
    def __init__(self, options: TerraformOptions) -> None:
        self.options = options
        self.result = LoadResult()
        self.scanned: dict[str, list[str]] = {}
        self.modules: dict[str, _BuiltModule] = {}
        self.var_files: dict[str, ParsedFile] = {}
        self.manifests: dict[str, ModuleManifest | None] = {}
        self.session = self._new_session()
        self.root = _RootState(self.session.reads)
        self.sources: dict[str, bytes | InputError] = {}
        self.states: dict[tuple[str, str], str] = {}
        self.parsed: dict[str, ParsedFile | InputError] = {}
        self.cache = _open_cache(options.cache_dir)

    def _new_session(self) -> Session:
        return Session(self._resolve_child, self.options.scan_root, self.options.max_file_size)

    # -- reading

    def _source(self, path: str) -> bytes | InputError:
        found = self.sources.get(path)
        if found is None:
            data, error = read_source(path, self.options.max_file_size)
            found = self.sources[path] = error if error is not None else (data or b"")
        return found

    def _prefetch(self, paths: list[str]) -> None:
        """Parse the files known up front in one batch (cache, then a process pool for the rest)."""
        batch: list[tuple[str, bytes]] = []
        for path in dict.fromkeys(paths):
            if path in self.parsed:
                continue
            source = self._source(path)
            if isinstance(source, InputError):
                self.parsed[path] = source
            else:
                batch.append((path, source))
        self.parsed.update(parse_sources(batch, self.options.workers, self.cache))

    def _parsed(self, path: str) -> ParsedFile | InputError:
        if path not in self.parsed:
            self._prefetch([path])
        return self.parsed[path]

    def _read_into(self, path: str, reads: ReadLog, errors: list[InputError], files: list[str]
                   ) -> ParsedFile | None:
        files.append(path)
        outcome = self._parsed(path)
        reads.file_state(path, self._file_state(path))
        if isinstance(outcome, InputError):
            errors.append(outcome)
            return None
        errors.extend(InputError(path, problem.message, problem.line) for problem in outcome.errors)
        return outcome

    def _module(self, directory: str) -> ModuleDef | None:
        key = os.path.normpath(directory)
        built = self.modules.get(key)
        if built is None:
            built = self.modules[key] = self._build_module(directory)
        self.root.take(built)
        return built.module

    def _build_module(self, directory: str) -> _BuiltModule:
        key = os.path.normpath(directory)
        reads = ReadLog(self.options.max_file_size)
        built = _BuiltModule(None, reads, [], [])
        files = self.scanned.get(key)
        reads.scanned(key, files)
        if files is None:
            reads.listing(directory)
            try:
                names = sorted(os.listdir(directory))
            except (OSError, ValueError):  # ValueError: a module source holding a NUL character
                return built
            files = [os.path.join(directory, n) for n in names if n.endswith(CONFIG_SUFFIXES)]
            if not files:
                return built
        config = sorted((f for f in files if f.endswith(CONFIG_SUFFIXES)), key=os.path.basename)
        parsed: list[tuple[str, tuple[Block, ...]]] = []
        for path in config:
            result = self._read_into(path, reads, built.errors, built.files)
            if result is not None:
                parsed.append((path, result.blocks))
        built.module = build_module(directory, parsed)
        built.errors.extend(built.module.errors)
        return built

    def _read_var_file(self, path: str) -> None:
        parsed = self._read_into(path, ReadLog(self.options.max_file_size), self.result.errors, self.result.files)
        if parsed is not None:
            self.var_files[path] = parsed

    # -- main

    def run(self, module_dirs: dict[str, list[str]]) -> LoadResult:
        self.scanned = {os.path.normpath(d): list(files) for d, files in module_dirs.items()}
        dirs = {os.path.normpath(d): d for d in module_dirs}
        var_paths = [f for d in sorted(module_dirs) for f in sorted(module_dirs[d]) if f.endswith(VARFILE_SUFFIXES)]
        calls = self._local_calls(dirs)
        roots = _roots(calls)
        fresh = [root for root in roots if not self._reused(root)]
        needed = _reached(fresh, calls)
        self._prefetch([f for key in sorted(needed) for f in sorted(self.scanned.get(key, ()))
                        if f.endswith(CONFIG_SUFFIXES)] + var_paths + list(self.options.var_files))
        for path in var_paths:
            self._read_var_file(path)
        for path in self.options.var_files:
            if path not in self.var_files:
                self._read_var_file(path)
        self._evaluate_roots([(dirs.get(root, root), module_dirs.get(dirs.get(root, root), [])) for root in fresh])
        # variable files outside the root folders (in module folders, or given with --var-file)
        in_roots = {f for root in roots for f in self.scanned.get(root, ())}
        self._emit_var_files([p for p in self.var_files if p not in in_roots], self._applied(module_dirs))
        self.result.files = list(dict.fromkeys(self.result.files))
        rank = {root: i for i, root in enumerate(roots)}
        self.result.stacks.sort(key=lambda origin: rank.get(os.path.normpath(origin.stack), len(rank)))
        return self.result

    def _local_calls(self, dirs: dict[str, str]) -> dict[str, set[str]]:
        """Each scanned folder -> the folders its module calls name with a local ``source``. From the
        parse cache's call index where it has the folder's files, else by parsing them (in one batch)."""
        sources: dict[str, list[str] | None] = {}
        for key in dirs:
            sources[key] = self._cached_call_sources(key)
        missing = [key for key, found in sources.items() if found is None]
        self._prefetch([f for key in sorted(missing) for f in sorted(self.scanned[key])
                        if f.endswith(CONFIG_SUFFIXES)])
        for key in missing:
            sources[key] = self._call_sources(dirs[key])
        calls: dict[str, set[str]] = {}
        for key, found in sources.items():
            targets = {os.path.normpath(os.path.join(dirs[key], source)) for source in found or ()}
            calls[key] = {t for t in targets if t != key}
        return calls

    def _call_index_key(self, key: str) -> str | None:
        if self.cache is None:
            return None
        parts: list[bytes] = []
        for path in sorted((f for f in self.scanned[key] if f.endswith(CONFIG_SUFFIXES)), key=os.path.basename):
            source = self._source(path)
            if isinstance(source, InputError):
                return None  # parsed every run, so its error is reported
            parts.append(os.path.basename(path).encode("utf-8", "surrogateescape") + b"\0"
                         + self._file_state(path).encode())
        return self.cache.call_index_key(b"\n".join(parts))

    def _cached_call_sources(self, key: str) -> list[str] | None:
        index_key = self._call_index_key(key)
        return self.cache.get_call_sources(index_key) if self.cache is not None and index_key else None

    def _call_sources(self, directory: str) -> list[str]:
        """The literal local ``source`` strings of a folder's module calls (stored in the call index)."""
        built = self.modules.get(os.path.normpath(directory))
        if built is None:
            built = self.modules[os.path.normpath(directory)] = self._build_module(directory)
        found: list[str] = []
        for declared in built.module.calls.values() if built.module is not None else ():
            source = literal_source(declared.block)
            if source is not None and is_local_source(source):
                found.append(source)
        index_key = self._call_index_key(os.path.normpath(directory))
        if self.cache is not None and index_key:
            self.cache.put_call_sources(index_key, found)
        return found

    def _reused(self, root: str) -> bool:
        """Whether the scan takes this root's results from its own store (nothing it was made from
        changed); then the root is not evaluated here."""
        reuse = self.options.reuse
        if reuse is None:
            return False
        key = self._root_key(root)
        held = reuse(key, lambda entries: unchanged(entries, self._state_now))
        if held is None:
            return False
        self.result.stacks.append(StackOrigin(stack=root, key=key, reads=(), resources=[], errors=[], files=[],
                                              reused=True, analysed=held))
        return True

    def _state_now(self, kind: str, path: str) -> str:
        """A read log entry's state in this run, each worked out once (many roots share modules);
        a file this run has already read is judged by the bytes it read."""
        if kind == FILE and path in self.sources:
            return self._file_state(path)
        known = self.states.get((kind, path))
        if known is None:
            known = self.states[(kind, path)] = current_state(kind, path, self.scanned,
                                                              self.options.max_file_size)
        return known

    def _file_state(self, path: str) -> str:
        """A file's read-log state, by the bytes this run read (each file hashed once per run)."""
        known = self.states.get((FILE, path))
        if known is None:
            source = self._source(path)
            known = digest(source) if isinstance(source, bytes) else file_state(path, self.options.max_file_size)
            self.states[(FILE, path)] = known
        return known

    def _root_key(self, root: str) -> str:
        options = self.options
        return json.dumps({"root": root, "abs": os.path.abspath(root), "cwd": os.getcwd(),
                           "vars": sorted(options.vars.items()), "var_files": list(options.var_files),
                           "scan_root": options.scan_root, "max_file_size": options.max_file_size},
                          sort_keys=True)

    def _evaluate_roots(self, roots: list[tuple[str, list[str]]]) -> None:
        """Evaluate the roots here, or, for many roots when the caller analyses them, in forked
        worker processes that evaluate and analyse a share of them each (the whole tree is parsed
        by then: they inherit it). The load result is the same either way, save that those roots'
        resources stay in the workers and their analysis comes back instead."""
        workers = _root_workers(roots, self.options, self.sources)
        if workers > 1 and self.options.prepare_analysis is not None:
            self.options.prepare_analysis("terraform")
        executor = workers_pool.start_pool(workers, _adopt_loader, (self,)) if workers > 1 else None
        if executor is None:
            for directory, files in roots:
                self._record(self._evaluate_root(directory, files))
            return
        outcomes: dict[str, _RootOutcome] = {}
        with executor, collector_paused():
            shares = workers_pool.interleaved(roots, workers)
            for share, outcome in workers_pool.outcomes_in_order(executor, _evaluate_and_analyse, shares):
                if isinstance(outcome, Exception):
                    reason = workers_pool.failure(outcome, "evaluation")
                    outcome = [_RootOutcome([InputError(directory, f"root module not analysed: {reason}")], [], None)
                               for directory, _ in share]
                outcomes.update(zip((directory for directory, _ in share), outcome))
        for directory, _ in roots:
            self._record(outcomes[directory])

    def _record(self, outcome: _RootOutcome) -> None:
        reported = {error_key(e) for e in self.result.errors}
        self.result.errors.extend(e for e in outcome.errors if error_key(e) not in reported)
        self.result.files.extend(outcome.files)
        if outcome.origin is not None:
            self.result.stacks.append(outcome.origin)

    def _evaluate_root(self, directory: str, files: list[str]) -> _RootOutcome:
        """One root's resources (added to the load result) and what else it makes, for ``_record``."""
        self.session = self._new_session()
        self.root = _RootState(self.session.reads)
        module = self._module(directory)
        first = len(self.result.resources)
        if module is not None:
            root = Instance(self.session, module, "", module.dir)
            for path in self._applied_var_files(files):
                self.root.reads.file_state(path, self._file_state(path))
                parsed = self.var_files.get(path)
                for attribute in parsed.attributes if parsed else ():
                    root.var_values[attribute.name] = root.eval(attribute.expr, {})
            for name, text in self.options.vars.items():
                root.var_values[name] = _cli_var(text)
            self._emit(root)
            own = [f for f in files if f in self.var_files]
            for path in own:
                self.root.reads.file_state(path, self._file_state(path))
            self._emit_var_files(own, set(self._applied_var_files(files)), self.root.reads)
            for resource in self.result.resources[first:]:
                resource.stack = module.dir  # everything a root instantiates deploys together
        errors = distinct_errors(self.root.errors + self.session.errors)
        origin = None
        if (self.options.reuse is not None or self.options.analyse is not None) and module is not None:
            origin = StackOrigin(
                stack=module.dir, key=self._root_key(os.path.normpath(directory)), reads=self.root.reads.frozen(),
                resources=self.result.resources[first:], errors=errors, files=list(dict.fromkeys(self.root.files)))
        return _RootOutcome(errors, list(self.root.files), origin)

    def _applied(self, module_dirs: dict[str, list[str]]) -> set[str]:
        applied: set[str] = set(self.options.var_files)
        for files in module_dirs.values():
            applied.update(self._applied_var_files(files))
        return applied

    def _applied_var_files(self, files: list[str]) -> list[str]:
        by_name = {os.path.basename(f): f for f in files}
        ordered = [by_name[n] for n in ("terraform.tfvars", "terraform.tfvars.json") if n in by_name]
        ordered += [by_name[n] for n in sorted(by_name)
                    if n.endswith((".auto.tfvars", ".auto.tfvars.json"))]
        return ordered + list(self.options.var_files)

    def _emit_var_files(self, paths: list[str], applied: set[str], reads: ReadLog | None = None) -> None:
        """Each entry of the variable files as a ``tfvars`` raw resource (credentials are looked for in
        them), in the stack of the folder that holds the file."""
        session = self._new_session()
        evaluator = Instance(session, ModuleDef("."), "", ".")
        for path in paths:
            parsed = self.var_files.get(path)
            for attribute in parsed.attributes if parsed is not None else ():
                value = _safe_eval(evaluator, attribute.expr, {}, attribute.text)
                self.result.resources.append(RawResource(
                    address=f"var.{attribute.name}", type="tfvars", name=attribute.name,
                    source_kind=SOURCE_KIND, file=path, line=attribute.line, end_line=attribute.end_line,
                    attrs={"value": to_raw_tree(value)}, mode="tfvars",
                    meta={"applied": path in applied}, stack=os.path.dirname(path) or "."))
        if reads is not None:
            reads.merge(session.reads)
            self.root.errors.extend(session.errors)
        else:
            self.result.errors.extend(session.errors)

    # -- module calls

    def _resolve_child(self, parent: Instance, name: str, declared: Declared) -> ChildModule:
        block = declared.block
        source = literal_source(block)
        version_attr = block.attribute("version")
        version = version_attr.expr.value if version_attr is not None and isinstance(version_attr.expr, Lit) else None
        where = (declared.file, block.line)
        if source is None:
            return self._not_analysed(parent, name, where, ChildModule(
                None, "its source is not a literal string", None, version), kind="error")
        if len(parent.chain) >= MAX_MODULE_DEPTH:
            return self._not_analysed(parent, name, where, ChildModule(
                None, f"modules are nested more than {MAX_MODULE_DEPTH} deep", source, version), kind="error")
        if is_local_source(source):
            directory = os.path.normpath(os.path.join(parent.module.dir, source))
        else:
            directory = self._manifest_dir(parent, name)
            if directory is None:
                return self._not_analysed(parent, name, where, ChildModule(
                    None, "not downloaded", source, version), kind="warning")
        if os.path.normpath(directory) in parent.chain:
            return self._not_analysed(parent, name, where, ChildModule(
                None, "it calls itself (module cycle)", source, version), kind="error")
        module = self._module(directory)
        if module is None:
            return self._not_analysed(parent, name, where, ChildModule(
                None, f"folder {directory} holds no Terraform files", source, version), kind="error")
        return ChildModule(module, None, source, version)

    def _not_analysed(self, parent: Instance, name: str, where: tuple[str, int | None],
                      child: ChildModule, kind: str) -> ChildModule:
        key = (parent.module.dir, parent.path, name)
        if key not in self.root.warned:
            self.root.warned.add(key)
            shown = f" (source {child.source})" if child.source else ""
            self.root.errors.append(InputError(where[0], f"module {name}{shown} was not analysed: {child.reason}",
                                                 where[1], kind=kind))
        return child

    def _manifest_dir(self, parent: Instance, name: str) -> str | None:
        root_dir = os.path.normpath(parent.root_dir)
        reads = self.root.reads
        reads.file(os.path.join(root_dir, MANIFEST))
        if root_dir not in self.manifests:
            self.manifests[root_dir] = load_manifest(root_dir)
        manifest = self.manifests[root_dir]
        if manifest is None:
            return None
        keys = parent.call_keys
        return manifest.dir_for(f"{keys}.{name}" if keys else name,
                                is_dir=lambda path: reads.test(IS_DIR, path))

    # -- raw resources

    def _emit(self, inst: Instance) -> None:
        module = inst.module
        out = self.result.resources
        for decl in module.resources.values():
            instances = _safe(lambda: inst.instances(decl), _Instances("unknown", reason="could not be evaluated"))
            for key in _instance_keys(instances):
                attrs: dict[str, Any] = {}
                for name in inst.resource_names(decl):
                    attrs[name] = to_raw_tree(_safe(lambda: inst.resource_attr(decl, key, name),
                                                    Unresolved(name, "expression nesting too deep")))
                if decl.mode == "data" and decl.type == "aws_iam_policy_document":
                    attrs["json"] = to_raw_tree(_safe(lambda: inst.resource_attr(decl, key, "json"),
                                                      Unresolved("json", "could not be rendered")))
                refs = _safe(lambda: inst.attribute_refs(decl, key), {})
                prefix = "" if decl.mode == "managed" else "data."
                meta = _meta(decl.block)
                provider = decl.block.attribute("provider")
                if provider is not None:
                    meta["provider"] = provider.text
                out.append(RawResource(
                    address=f"{inst.prefix}{prefix}{decl.type}.{decl.name}{index_suffix(key)}",
                    type=decl.type, name=decl.name, source_kind=SOURCE_KIND, file=decl.file,
                    line=decl.block.line, end_line=decl.block.end_line, attrs=attrs, refs=refs,
                    mode=decl.mode, module=inst.path, index=key, meta=meta))
        for name, declared in module.variables.items():
            block = declared.block
            default = block.attribute("default")
            attrs = {"default": to_raw_tree(_safe_eval(inst, default.expr, {}, default.text)) if default else None,
                     "sensitive": _literal_bool(block.attribute("sensitive"))}
            out.append(RawResource(address=f"{inst.prefix}var.{name}", type="variable", name=name,
                                   source_kind=SOURCE_KIND, file=declared.file, line=block.line,
                                   end_line=block.end_line, attrs=attrs, mode="variable", module=inst.path,
                                   meta=_meta(block)))
        for name, local in module.locals.items():
            attribute = local.attribute
            value = _safe(lambda: inst.local(name), Unresolved(attribute.text, "expression nesting too deep"))
            out.append(RawResource(address=f"{inst.prefix}local.{name}", type="local", name=name,
                                   source_kind=SOURCE_KIND, file=local.file, line=attribute.line,
                                   end_line=attribute.end_line, attrs={"value": to_raw_tree(value)},
                                   refs=_nonempty("value", _safe(lambda: inst.local_refs(name), [])),
                                   mode="local", module=inst.path, meta=_meta(local.block)))
        for declared in module.providers:
            block = declared.block
            provider_name = block.labels[0]
            alias_attr = block.attribute("alias")
            alias = alias_attr.expr.value if alias_attr is not None and isinstance(alias_attr.expr, Lit) else None
            body = _safe(lambda: inst.eval_body(block, {}), {})
            out.append(RawResource(address=f"{inst.prefix}provider.{provider_name}" + (f".{alias}" if alias else ""),
                                   type=provider_name, name=alias or provider_name, source_kind=SOURCE_KIND,
                                   file=declared.file, line=block.line, end_line=block.end_line,
                                   attrs=to_raw_tree(body), mode="provider", module=inst.path,
                                   meta=_meta(block)))
        for name, declared in module.outputs.items():
            block = declared.block
            value_attr = block.attribute("value")
            value = _safe(lambda: inst.output(name), Unresolved(name, "expression nesting too deep"))
            refs = _safe(lambda: inst.refs(value_attr.expr, {}), []) if value_attr is not None else []
            out.append(RawResource(address=f"{inst.prefix}output.{name}", type="output", name=name,
                                   source_kind=SOURCE_KIND, file=declared.file, line=block.line,
                                   end_line=block.end_line,
                                   attrs={"value": to_raw_tree(value),
                                          "sensitive": _literal_bool(block.attribute("sensitive"))},
                                   refs=_nonempty("value", refs), mode="output", module=inst.path,
                                   meta=_meta(block)))
        for name, declared in module.calls.items():
            instances = _safe(lambda: inst.module_instances(name), _Instances("unknown", reason="not evaluated"))
            for key in _instance_keys(instances):
                child = inst.child(name, key)
                if isinstance(child, Instance):
                    self._emit(child)
                else:
                    self._emit_module_call(inst, name, declared, key, instances, child)

    def _emit_module_call(self, inst: Instance, name: str, declared: Declared, key: Any,
                          instances: _Instances, child: ChildModule) -> None:
        block = declared.block
        scope = inst.instance_scope(instances, key)
        attrs: dict[str, Any] = {}
        refs: dict[str, list[str]] = {}
        for attribute in block.attributes:
            if attribute.name in MODULE_META_ARGS:
                continue
            attrs[attribute.name] = to_raw_tree(_safe_eval(inst, attribute.expr, scope, attribute.text))
            found = _safe(lambda: inst.refs(attribute.expr, scope), [])
            if found:
                refs[attribute.name] = found
        for group_name, group in block_groups(block).items():
            attrs[group_name] = to_raw_tree(_safe(lambda: inst.eval_block_group(group, scope), []))
        meta = _meta(block)
        meta.update({"source": child.source, "version": child.version, "not_analysed": child.reason})
        self.result.resources.append(RawResource(
            address=f"{inst.prefix}module.{name}{index_suffix(key)}", type="module", name=name,
            source_kind=SOURCE_KIND, file=declared.file, line=block.line, end_line=block.end_line,
            attrs=attrs, refs=refs, mode="module", module=inst.path, index=key, meta=meta))


def _roots(calls: dict[str, set[str]]) -> list[str]:
    """The folders no scanned module calls, then any folder reachable only through a call cycle
    (still analysed: fail closed)."""
    called = set().union(*calls.values()) if calls else set()
    roots = [key for key in sorted(calls) if key not in called]
    reached = _reached(roots, calls)
    for key in sorted(calls):
        if key not in reached:
            roots.append(key)
            reached |= _reached([key], calls)
    return roots


def _reached(starts: list[str], calls: dict[str, set[str]]) -> set[str]:
    """The scanned folders ``starts`` reach through local module calls, themselves included."""
    reached: set[str] = set()
    pending = list(starts)
    while pending:
        key = pending.pop()
        if key in reached:
            continue
        reached.add(key)
        pending.extend(t for t in calls.get(key, ()) if t in calls)
    return reached


def read_source(path: str, max_size: int) -> tuple[bytes | None, InputError | None]:
    try:
        size = os.path.getsize(path)
        if size > max_size:
            return None, InputError(path, f"file is larger than {max_size} bytes; not analysed")
        with open(path, "rb") as handle:
            return handle.read(), None
    except OSError as exc:
        return None, InputError(path, f"file could not be read: {exc.strerror or exc}")


def parse_source(path: str, data: bytes, lean: bool = False) -> ParsedFile | InputError:
    """One file's bytes -> its syntax tree, or the InputError that stops it. Pure; runs in pool workers.
    ``lean``: with the parser made for batches (``hcl.lean_parser``; the same result)."""
    if not path.endswith(".json") and len(data) > HCL_MAX_BYTES:
        return InputError(path, f"HCL file is {len(data)} bytes, above the {HCL_MAX_BYTES}-byte parse bound "
                          "(split it, or write it in Terraform's JSON syntax); not analysed")
    try:
        text = decode_source(data)
    except SourceTextError as exc:
        return InputError(path, str(exc), exc.line)
    with collector_paused():  # the parse makes many short-lived objects and no garbage cycles
        return parse_file(path, text, lean)


def parse_sources(sources: list[tuple[str, bytes]], workers: int | None,
                  cache: ParseCache | None) -> dict[str, ParsedFile | InputError]:
    """Parse ``(path, bytes)`` pairs: cached entries first, the rest in a process pool when the batch is
    big enough to pay for one, else here. The result does not depend on which way a file was parsed."""
    out: dict[str, ParsedFile | InputError] = {}
    misses: list[tuple[str, bytes]] = []
    keys: dict[str, str] = {}
    for path, data in sources:
        if cache is not None:
            keys[path] = cache.key(data, path)
            hit = cache.get(keys[path], path)
            if hit is not None:
                out[path] = hit
                continue
        misses.append((path, data))
    count = pool_size(misses, workers)
    if count > 1:
        parsed = _parse_in_pool(misses, count)
    else:
        lean = _is_batch(misses)
        parsed = {p: parse_source(p, d, lean) for p, d in misses}
    for path, outcome in parsed.items():
        if cache is not None and isinstance(outcome, ParsedFile):
            cache.put(keys[path], outcome)
    out.update(parsed)
    return out


def pool_size(sources: list[tuple[str, bytes]], workers: int | None) -> int:
    """How many parse processes a batch gets: 1 (parse here) for small batches or one core."""
    wanted = workers_pool.wanted(workers)
    if wanted <= 1 or not _is_batch(sources):
        return 1
    return min(wanted, len(sources))


def _is_batch(sources: list[tuple[str, bytes]]) -> bool:
    """Enough HCL to pay for a process pool, and for making the lean parser (about 60 ms)."""
    return (len(sources) >= POOL_MIN_FILES
            and sum(len(d) for p, d in sources if not p.endswith(".json")) >= POOL_MIN_BYTES)


def parse_batch(batch: list[tuple[str, bytes]]) -> list[ParsedFile | InputError]:
    return [parse_source(path, data, lean=True) for path, data in batch]


def _parse_in_pool(sources: list[tuple[str, bytes]], workers: int) -> dict[str, ParsedFile | InputError]:
    lean_parser()  # made once here: forked workers inherit it
    executor = workers_pool.start_pool(workers)
    if executor is None:  # no process support: parse here
        return {p: parse_source(p, d) for p, d in sources}
    out: dict[str, ParsedFile | InputError] = {}
    with executor, collector_paused():  # receiving many small tuples, no garbage cycles among them
        for batch, outcome in workers_pool.outcomes_in_order(executor, parse_batch, _batches(sources, workers)):
            if isinstance(outcome, Exception):
                reason = workers_pool.failure(outcome, "parser")
                out.update((path, InputError(path, f"not analysed: {reason}")) for path, _ in batch)
            else:
                out.update(zip((path for path, _ in batch), outcome))
    return out


def _batches(sources: list[tuple[str, bytes]], workers: int) -> list[list[tuple[str, bytes]]]:
    """Largest files first, in batches small enough that the workers finish at about the same time."""
    ordered = sorted(sources, key=lambda s: len(s[1]), reverse=True)
    size = max(1, min(16, len(ordered) // (workers * 8)))
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


@dataclass
class _RootOutcome:
    errors: list[InputError]
    files: list[str]
    origin: StackOrigin | None


# Below these, evaluating the roots here costs less than starting workers for them.
ROOT_POOL_MIN_ROOTS = 4
ROOT_POOL_MIN_BYTES = POOL_MIN_BYTES


def _root_workers(roots: list[tuple[str, list[str]]], options: TerraformOptions,
                  sources: dict[str, bytes | InputError]) -> int:
    """How many processes evaluate and analyse the roots: 1 (here) unless the caller analyses them,
    there are enough of them, and workers can be forked (they inherit the parsed tree)."""
    if options.analyse is None or len(roots) < ROOT_POOL_MIN_ROOTS or not workers_pool.can_fork():
        return 1
    wanted = workers_pool.wanted(options.workers)
    size = sum(len(data) for data in sources.values() if isinstance(data, bytes))
    if wanted <= 1 or size < ROOT_POOL_MIN_BYTES:
        return 1
    return min(wanted, len(roots))


_adopted: list[_Loader] = []  # in a root worker: the loader it was forked from


def _adopt_loader(loader: _Loader) -> None:
    loader.options = dataclasses.replace(loader.options, workers=1)  # a file read late is parsed here
    _adopted[:] = [loader]


def _evaluate_and_analyse(roots: list[tuple[str, list[str]]]) -> list[_RootOutcome]:
    """In a root worker: each root evaluated, then analysed by the caller's function; the analysis
    goes back to the parent in place of the resources."""
    loader = _adopted[0]
    analyse = loader.options.analyse
    assert analyse is not None
    out = []
    for directory, files in roots:
        outcome = loader._evaluate_root(directory, files)
        if outcome.origin is not None:
            outcome.origin.analysed = analyse(outcome.origin)
            outcome.origin.resources = []
        out.append(outcome)
    return out


def _open_cache(cache_dir: str | None) -> ParseCache | None:
    if not cache_dir:
        return None
    from ...parse_cache import ParseCache

    return ParseCache(cache_dir)


def _instance_keys(instances: _Instances) -> list[Any]:
    if instances.kind == "single":
        return [None]
    if instances.kind == "unknown":
        return [Unknown(f"instances known only after apply ({instances.reason})")]
    return list(instances.keys)


def _meta(block: Block) -> dict[str, Any]:
    if not block.ignores:
        return {}
    return {"ignore": [{"rule": i.rule, "reason": i.reason, "until": i.until, "line": i.line}
                       for i in block.ignores]}


def _nonempty(key: str, refs: Any) -> dict[str, list[str]]:
    return {key: refs} if isinstance(refs, list) and refs else {}


def _literal_bool(attribute: Attribute | None) -> bool:
    return attribute is not None and isinstance(attribute.expr, Lit) and attribute.expr.value is True


def _safe(compute: Any, fallback: Any) -> Any:
    try:
        return compute()
    except RecursionError:
        return fallback


def _safe_eval(inst: Instance, expr: Any, scope: dict[str, Any], text: str) -> Any:
    return _safe(lambda: inst.eval(expr, scope), Unresolved(text, "expression nesting too deep"))


def _cli_var(text: str) -> Any:
    """A ``--var`` value: HCL/JSON literals for lists and maps, else the string itself."""
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            expr = parse_expression_text(stripped)
        except ValueError:
            return text
        evaluator = Instance(Session(lambda *_: ChildModule(None, "no modules"), None, 0), ModuleDef("."), "", ".")
        value = evaluator.eval(expr, {})
        return to_raw_tree(value)
    return text
