"""Load step: discovered inputs -> raw resources, each tagged with the stack it deploys with."""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from .discovery import Document, Inputs, display_path, read_bytes
from .raw import InputError, LoadResult, StackOrigin

if TYPE_CHECKING:
    from .adapters.terraform.reads import Reuse

STDIN_NAME = "<stdin>"
_DOCUMENT_MARKERS = (b"AWSTemplateFormatVersion", b"AWS::", b'"format_version"')


@dataclass
class LoadOptions:
    var_files: list[str] = field(default_factory=list)
    vars: dict[str, str] = field(default_factory=dict)
    cfn_params: dict[str, str] = field(default_factory=dict)
    max_file_size: int = 256 * 1024 * 1024
    scan_root: str | None = None
    cache_dir: str | None = None  # parsed-file cache folder; None: no cache
    parse_workers: int | None = None  # Terraform parse processes; None: one per core
    reuse: Reuse | None = None  # stacks (Terraform roots, templates) whose results the caller holds (stack_cache)
    # The caller's analysis of one stack the loader can state whole (a Terraform root, a template).
    # When given and there are many, they are loaded and analysed in worker processes, and come back
    # analysed (StackOrigin.analysed) instead of with their resources: see _load_documents and
    # TerraformOptions.analyse.
    analyse: Callable[[StackOrigin], Any] | None = None
    # Called with the source kind ("cloudformation", "terraform") before worker processes that run
    # ``analyse`` on stacks of that kind are forked: what it needs is made ready here, once, and the
    # workers inherit it.
    prepare_analysis: Callable[[str], object] | None = None


def _load_terraform(inputs: Inputs, options: LoadOptions) -> LoadResult:
    if not inputs.terraform_dirs:
        return LoadResult()
    from .adapters.terraform.loader import TerraformOptions, load_terraform

    tf_options = TerraformOptions(var_files=list(options.var_files), vars=dict(options.vars),
                                  scan_root=options.scan_root or os.getcwd(),
                                  max_file_size=options.max_file_size, cache_dir=options.cache_dir,
                                  workers=options.parse_workers, reuse=options.reuse, analyse=options.analyse,
                                  prepare_analysis=options.prepare_analysis)
    return load_terraform(inputs.terraform_dirs, tf_options)


def _text(data: bytes, path: str) -> tuple[str | None, InputError | None]:
    if b"\x00" in data[:8192]:
        return None, InputError(path, "binary file (NUL bytes); not a text input")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, InputError(path, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                                line)


def _load_plan(path: str, text: list[bytes | str]) -> LoadResult | None:
    """A plan when the bytes or text decode to one; None when they are valid JSON but not a plan.
    ``text`` is a one-item holder the input is taken out of once decoded, so a big plan's text and
    the parts of its tree loading never reads are freed before its resources are built."""
    from .adapters.plan.loader import (
        NotStreamable,
        decode_plan,
        load_plan,
        load_plan_text,
        looks_like_plan,
        without_unread_parts,
    )

    try:
        result = load_plan_text(path, text)
    except NotStreamable:
        result = None  # decoded whole, below (outside the handler, which would keep the reader's frames)
    else:
        if result is None:
            return None
    if result is None:
        plan, error = decode_plan(path, text[0])
        if error is not None:
            return LoadResult(errors=[error], files=[path])
        if not looks_like_plan(plan):
            return None
        text.clear()
        plan = without_unread_parts(plan)
        result = load_plan(path, plan)
    for resource in result.resources:
        resource.stack = resource.stack or path
    if path not in result.files:
        result.files.append(path)
    return result


def _load_document(doc: Document, options: LoadOptions) -> LoadResult:
    data, error = read_bytes(doc.path, options.max_file_size)
    if error is not None:
        return LoadResult(errors=[error], files=[doc.path])
    assert data is not None
    text, error = _text(data, doc.path)
    if error is not None:
        # Binary or non-UTF-8 files found by walking a folder are not ours, unless they carry a
        # template's or a plan's markers (fail closed); named ones are errors.
        ours = doc.explicit or any(marker in data for marker in _DOCUMENT_MARKERS)
        return LoadResult(errors=[error] if ours else [], files=[doc.path] if ours else [])
    assert text is not None
    stripped = text.lstrip()
    if stripped.startswith("{") and '"format_version"' in text[:4096] + text[-65536:]:
        del data, stripped  # the decoded text is all a plan needs
        holder: list[bytes | str] = [text]
        del text
        result = _load_plan(doc.path, holder)
        if result is not None:
            return result
        (text,) = holder
    if not doc.explicit and "Resources" not in text and "AWSTemplateFormatVersion" not in text:
        return LoadResult()
    from .adapters.cloudformation.loader import (
        load_cloudformation_document,
        looks_like_cloudformation,
        parse_document,
    )

    key = _template_key(doc, text, options)
    held = options.reuse(key, lambda reads: True) if options.reuse is not None else None
    if held is not None:
        return LoadResult(stacks=[StackOrigin(doc.path, key, (), [], [], [], reused=True, analysed=held)])
    parsed, error = parse_document(doc.path, text)
    if error is not None:
        if doc.explicit or "AWSTemplateFormatVersion" in text or "AWS::" in text:
            return LoadResult(errors=[error], files=[doc.path])
        return LoadResult()
    if not looks_like_cloudformation(getattr(parsed, "data", parsed)):
        if doc.explicit:
            return LoadResult(errors=[InputError(doc.path, "not a CloudFormation template or a Terraform "
                                                 "plan (no AWSTemplateFormatVersion / Resources, no "
                                                 "format_version)")], files=[doc.path])
        return LoadResult()
    result = load_cloudformation_document(doc.path, parsed, options.cfn_params)
    for resource in result.resources:
        resource.stack = resource.stack or doc.path
    if doc.path not in result.files:
        result.files.append(doc.path)
    if options.reuse is not None or options.analyse is not None:
        result.stacks.append(StackOrigin(doc.path, key, (), result.resources, list(result.errors),
                                         list(result.files)))
    return result


def _template_key(doc: Document, text: str, options: LoadOptions) -> str:
    """What a CloudFormation template's results are made from: it reads no other file, so its text
    (by digest), where it is and the parameters given are all of it."""
    return json.dumps({"template": doc.path, "abs": os.path.abspath(doc.path), "cwd": os.getcwd(),
                       "explicit": doc.explicit, "sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
                       "parameters": sorted(options.cfn_params.items())}, sort_keys=True)


def load_inputs(inputs: Inputs, options: LoadOptions) -> LoadResult:
    result = LoadResult(errors=list(inputs.errors))
    result.extend(_load_terraform(inputs, options))
    for loaded in _load_documents(inputs.documents, options):
        result.extend(loaded)
    if inputs.stdin:
        data = sys.stdin.buffer.read(options.max_file_size + 1)
        if len(data) > options.max_file_size:
            result.errors.append(InputError(STDIN_NAME, "standard input is above the --max-file-size limit"))
        else:
            plan = _load_plan(STDIN_NAME, [data])
            if plan is None:
                result.errors.append(InputError(STDIN_NAME, "standard input is not a Terraform plan JSON "
                                                "(`terraform show -json PLANFILE`)"))
            else:
                result.extend(plan)
    result.files = list(dict.fromkeys(display_path(f) if f != STDIN_NAME else f for f in result.files))
    return result


# ---------------------------------------------------------------------------------------------
# Many templates: loaded and analysed in worker processes

# Below these, loading the templates here costs less than starting workers for them.
DOCUMENT_POOL_MIN_FILES = 8
DOCUMENT_POOL_MIN_BYTES = 256 * 1024


def _load_documents(docs: list[Document], options: LoadOptions) -> list[LoadResult]:
    """Each document's load result, in order. When the caller analyses stacks (``options.analyse``)
    and the templates are many, they are read, loaded and analysed in forked worker processes, a
    share each; a template then comes back as its analysis (``StackOrigin.analysed``) instead of its
    resources. Plans (a plan's resources are one stack, read whole) are loaded here."""
    may_pool = _wanted_workers(options) > 1 and len(docs) >= DOCUMENT_POOL_MIN_FILES
    pooled = [i for i, doc in enumerate(docs) if not _may_be_plan(doc)] if may_pool else []
    workers = _document_workers([docs[i] for i in pooled], options)
    if workers <= 1:
        return [_load_document(doc, options) for doc in docs]
    import importlib

    from . import workers as workers_pool
    from .collector import collector_paused

    importlib.import_module(".adapters.cloudformation.loader", __package__)  # once, here: workers inherit it
    if options.prepare_analysis is not None:
        options.prepare_analysis("cloudformation")
    executor = workers_pool.start_pool(workers, _adopt_options, (options,))
    if executor is None:  # no process support
        return [_load_document(doc, options) for doc in docs]
    out: dict[int, LoadResult] = {}
    with executor, collector_paused():
        shares = workers_pool.interleaved([(i, docs[i]) for i in pooled], workers)
        for share, outcome in workers_pool.outcomes_in_order(executor, _load_and_analyse, shares):
            if isinstance(outcome, Exception):
                reason = workers_pool.failure(outcome, "template")
                outcome = [LoadResult(errors=[InputError(doc.path, f"not analysed: {reason}")], files=[doc.path])
                           for _, doc in share]
            out.update(zip((i for i, _ in share), outcome))
    for i, doc in enumerate(docs):  # plans, here
        if i not in out:
            out[i] = _load_document(doc, options)
    return [out[i] for i in range(len(docs))]


def _may_be_plan(doc: Document) -> bool:
    """Whether a file may be a plan: it holds the marker ``_load_document`` looks for near its start
    or end (with room for multi-byte characters). Either way the same function loads it; this only
    keeps plans, whose resources are one big stack, out of the template workers."""
    try:
        with open(doc.path, "rb") as handle:
            head = handle.read(4 * 4096)
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 4 * 65536))
            tail = handle.read()
    except OSError:
        return False  # a worker reports it
    return b'"format_version"' in head or b'"format_version"' in tail


def _wanted_workers(options: LoadOptions) -> int:
    """Template workers the run could use: none unless the caller analyses stacks and workers can be
    forked (they inherit the options, the analysis included); else one per core or ``parse_workers``."""
    from .workers import can_fork, wanted

    if options.analyse is None or not can_fork():
        return 1
    return wanted(options.parse_workers)


def _document_workers(docs: list[Document], options: LoadOptions) -> int:
    wanted = _wanted_workers(options)
    if wanted <= 1 or len(docs) < DOCUMENT_POOL_MIN_FILES:
        return 1
    size = 0
    for doc in docs:
        try:
            size += os.path.getsize(doc.path)
        except OSError:
            continue
    return 1 if size < DOCUMENT_POOL_MIN_BYTES else min(wanted, len(docs))


_adopted: list[LoadOptions] = []  # in a template worker: the options of the run it was forked from


def _adopt_options(options: LoadOptions) -> None:
    _adopted[:] = [options]


def _load_and_analyse(docs: list[tuple[int, Document]]) -> list[LoadResult]:
    """In a template worker: each document loaded, and each stack the loader could state the making
    of analysed by the caller's function; the analysis goes back in place of the resources."""
    options = _adopted[0]
    analyse = options.analyse
    assert analyse is not None
    out = []
    for _, doc in docs:
        result = _load_document(doc, options)
        for origin in result.stacks:
            if origin.reused:
                continue
            made = {id(r) for r in origin.resources}
            origin.analysed = analyse(origin)
            origin.resources = []
            result.resources = [r for r in result.resources if id(r) not in made]
        out.append(result)
    return out
