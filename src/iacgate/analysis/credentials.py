"""Static AWS credentials written into infrastructure code.

Every string of every raw resource (managed resources, data sources, provider blocks, variables,
tfvars entries, locals, outputs, module inputs, CloudFormation parameters) and of a CloudFormation
resource's ``Metadata`` is scanned as written, and again after decoding when it is base64 (or
gzip+base64, as cloud-init sends it) or a JSON document (ECS container definitions, policies).
Expressions the gate could not evaluate are scanned as source text, so a literal key inside
``base64encode("...")`` is still seen.

What counts:

* **Access key ids** of the documented shape whose prefix carries a secret: ``AKIA``, ``ASIA``,
  ``ABIA``, ``ACCA`` and legacy ``A3T?`` followed by 16 upper-case letters or digits, 20 characters,
  not touching other letters or digits. ``AIDA``/``AROA``/``AGPA``/... ids name users, roles and
  groups; they are not secrets and are not reported.
* **Secret access keys**: 40 characters of ``[A-Za-z0-9/+]`` mixing cases and digits, only where
  something says it is a secret: the same holder also holds a key id, the attribute / variable /
  environment variable / parameter is named like one (``secret_key``, ``SecretAccessKey``,
  ``AWS_SECRET_ACCESS_KEY``...), or a script assigns it (``aws_secret_access_key = ...``).
  Hex digests, one-case words, ARNs, UUIDs and unnamed base64 blobs are not secrets.
* **Session tokens**: 100+ characters of the base64 alphabet under a token name.
* **Configured static credentials** (form ``setup``): a script or environment that hands an AWS key
  pair to a host without the key itself being visible (``export AWS_ACCESS_KEY_ID=placeholder``,
  a file written to ``~/.aws/credentials``), and ``AWS::CloudFormation::Authentication`` metadata
  that carries ``accessKeyId``/``secretKey``/``password`` by reference: CloudFormation stores
  resource metadata in clear text whatever ``NoEcho`` says, and a role (``roleName``) would do.
* **Passwords** written literally in ``AWS::CloudFormation::Authentication`` metadata.

Attribution: a credential is reported at every holder where it appears. A resource whose attribute
refers to a variable, tfvars entry or local that holds a credential is reported too (it deploys the
key), with the path ``attr (from var.x)``, unless the same value was already found in it directly.
Attributes of ``aws_iam_access_key`` / ``AWS::IAM::AccessKey`` are produced by AWS, not written by
anyone, and are not scanned (see :func:`access_key_subjects` for those resources).
"""
from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..collector import collector_paused
from ..findings import Subject
from ..raw import RawResource
from ..redact import KEY_ID_RE, SECRET_CANDIDATE_RE, SESSION_TOKEN_MIN_LENGTH, looks_like_secret_key, redact
from ..values import Source, Unknown, Unresolved, known

ACCESS_KEY_ID = "access_key_id"
SECRET_ACCESS_KEY = "secret_access_key"
SESSION_TOKEN = "session_token"
PASSWORD = "password"
CREDENTIALS_FILE = "credentials_file"

FORM_KEY = "key"  # key material of the documented shape
FORM_SETUP = "setup"  # static credentials configured without visible key material
FORM_PASSWORD = "password"  # a literal password

GENERATED_KEY_TYPES = frozenset({"aws_iam_access_key", "AWS::IAM::AccessKey"})
_GENERIC_KEYS = frozenset({"default", "value", "values"})
_PAIR_NAME_KEYS = ("name", "Name", "key", "Key")
_ENV_NAMES = {"awsaccesskeyid": ACCESS_KEY_ID, "awssecretaccesskey": SECRET_ACCESS_KEY,
              "awssessiontoken": SESSION_TOKEN, "awssecuritytoken": SESSION_TOKEN}
_TOKEN_RE = re.compile(r"[A-Za-z0-9/+]{%d,}={0,2}" % SESSION_TOKEN_MIN_LENGTH)
_BASE64_RE = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_ASSIGNMENT_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9_$.{])(aws_access_key_id|aws_secret_access_key|aws_session_token|aws_security_token)"
    r"['\"]?\s*[:=]\s*['\"]?([^\s'\"`;,|&)\]}]*)")
_CONFIGURE_SET_RE = re.compile(r"(?i)aws\s+configure\s+set\s+(aws_access_key_id|aws_secret_access_key|aws_session_token)\s+['\"]?([^\s'\"`;|&]*)")
_CREDENTIALS_FILE_RE = re.compile(r"(?:>>?|\btee\s+(?:-a\s+)?|\bcp\s+\S+\s+|\bmv\s+\S+\s+|-O\s*)\s*['\"]?(\S*\.aws/credentials)\b")
_MAX_DECODED = 1 << 20
# Text shorter than this holds nothing unless its name is an AWS environment variable name: key
# material is 20+ characters, a credentials path ends in '.aws/credentials' (16), base64 is decoded
# from 16 characters, and a JSON text this short cannot spell an environment variable name as a key.
_SHORTEST_UNNAMED_HIT = 16
_MAX_DEPTH = 3
_CREDENTIALS_PATH = ".aws/credentials"


@dataclass(frozen=True)
class CredentialHit:
    holder: RawResource = field(repr=False)  # its attrs hold the raw value
    path: str  # attribute path, e.g. "secret_key", "user_data (base64)"
    type: str  # access_key_id | secret_access_key | session_token | password | credentials_file
    redacted: str  # never the raw value
    is_example: bool  # AWS documentation example key (ends in EXAMPLE / EXAMPLEKEY)
    paired: bool  # a key id and a secret of the same form found together in the holder
    encoding: str  # plain | base64 | gzip+base64 | json | expression | reference (and combinations)
    line: int | None  # line of the value in its file when found cheaply
    form: str = FORM_KEY  # key | setup | password

    @property
    def location(self) -> str:
        where = f"{self.holder.file}:{self.line}" if self.line else self.holder.file
        return f"{self.path} of {self.holder.address} ({where})"


@dataclass(frozen=True, repr=False)
class _Raw:
    """A hit before pairing and line lookup; ``value`` stays inside this module."""

    path: str
    type: str
    value: str
    encoding: str
    form: str
    needles: tuple[str, ...]  # texts to look for in the file to find the line, best first


@functools.lru_cache(maxsize=8192)
def _norm(name: str) -> str:
    """``name`` lower case, letters and digits only (attribute names repeat: computed once each)."""
    return _NOT_NAME_CHAR.sub("", name.lower())


_NOT_NAME_CHAR = re.compile(r"[^a-z0-9]")


def _secret_name(name: str) -> bool:
    n = _norm(name)
    return ("secretaccesskey" in n or "secretkey" in n or n.startswith("awssecret") or n.endswith("secret"))


def _token_name(name: str) -> bool:
    n = _norm(name)
    return "sessiontoken" in n or "securitytoken" in n or n in ("token", "awstoken", "ststoken")


_ISSUED_KEY_ID = re.compile(r"^(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}$")


def _is_example(value: str) -> bool:
    """AWS's documentation example keys, and key ids AWS could not have issued: issued access key ids
    use the base32 alphabet (A-Z, 2-7) after their prefix, so a 0, 1, 8 or 9 marks a placeholder."""
    upper = value.upper()
    if KEY_ID_RE.fullmatch(value) and not _ISSUED_KEY_ID.match(value):
        return True
    return upper.endswith("EXAMPLE") or upper.endswith("EXAMPLEKEY") or (
        len(value) >= SESSION_TOKEN_MIN_LENGTH and "EXAMPLE" in upper)


def _is_reference(value: str) -> bool:
    return not value or value[0] in "$%{<`@" or value.lower() in ("null", "none", "undefined")


# ---------------------------------------------------------------- walking the raw tree


def _pair_name(tree: dict[Any, Any]) -> str | None:
    """The ``name`` of a name/value pair (ECS/CodeBuild environment, SSM-like lists): an object
    with a ``value`` or ``Value`` key."""
    if "value" not in tree and "Value" not in tree:
        return None
    for key in _PAIR_NAME_KEYS:
        if isinstance(tree.get(key), str):
            return tree[key]
    return None


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _walk(tree: Any, path: str, name: str) -> Iterator[tuple[str, str, Any]]:
    """(path, name, leaf) for every string and opaque leaf; ``name`` is the nearest key that says
    what the value is (a generic ``default``/``value`` key defers to the pair name or parent)."""
    if isinstance(tree, (str, Unknown, Unresolved)):
        yield path, name, tree
    elif isinstance(tree, dict):
        pair = _pair_name(tree)
        for key, value in tree.items():
            child = str(key)
            if child.lower() in _GENERIC_KEYS:
                child = pair or name
            elif child in _PAIR_NAME_KEYS and pair is not None:
                continue  # the pair's own name is not a credential
            yield from _walk(value, _join(path, key), child)
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from _walk(value, f"{path}[{i}]", name)


_Leaf = tuple[str, str, "str | Unresolved"]


def _scanned_leaves(tree: Any, path: str, name: str) -> list[_Leaf]:
    """The leaves of :func:`_walk` that the scan reads, in the same order and with the same paths
    and names: strings that can hold something (see :func:`_may_hold_credential`) and unresolved
    expressions. One pass that appends to a list; no path is built for a leaf that is skipped."""
    out: list[_Leaf] = []
    if isinstance(tree, (dict, list, tuple)):
        _collect(tree, path, name, out)
    elif isinstance(tree, Unresolved) or isinstance(tree, str) and _may_hold_credential(tree, name):
        out.append((path, name, tree))
    return out


def _may_hold_credential(text: str, name: str) -> bool:
    """False for text too short to hold anything unless an AWS environment variable name holds it."""
    return len(text) >= _SHORTEST_UNNAMED_HIT or _norm(name) in _ENV_NAMES


def _collect(tree: dict[Any, Any] | list[Any] | tuple[Any, ...], path: str, name: str, out: list[_Leaf]) -> None:
    shortest = _SHORTEST_UNNAMED_HIT
    if isinstance(tree, dict):
        pair = _pair_name(tree)
        for key, value in tree.items():
            child = key if type(key) is str else str(key)
            if child.lower() in _GENERIC_KEYS:
                child = pair or name
            elif pair is not None and child in _PAIR_NAME_KEYS:
                continue  # the pair's own name is not a credential
            if isinstance(value, str):
                if len(value) >= shortest or _norm(child) in _ENV_NAMES:
                    out.append((f"{path}.{key}" if path else str(key), child, value))
            elif isinstance(value, (dict, list, tuple)):
                _collect(value, f"{path}.{key}" if path else str(key), child, out)
            elif isinstance(value, Unresolved):
                out.append((f"{path}.{key}" if path else str(key), child, value))
    else:
        for i, value in enumerate(tree):
            if isinstance(value, str):
                if len(value) >= shortest or _norm(name) in _ENV_NAMES:
                    out.append((f"{path}[{i}]", name, value))
            elif isinstance(value, (dict, list, tuple)):
                _collect(value, f"{path}[{i}]", name, out)
            elif isinstance(value, Unresolved):
                out.append((f"{path}[{i}]", name, value))


def _may_be_base64(text: str) -> bool:
    """False for text holding a character base64 never holds: ARNs, names, references and sentences
    are told apart without compacting and matching them."""
    return not (":" in text or "." in text or "-" in text or "_" in text)


def _decode_base64(text: str) -> tuple[str, str] | None:
    """(decoded text, encoding) when ``text`` is base64 of mostly printable UTF-8 (gzip allowed)."""
    if not _may_be_base64(text):
        return None
    compact = "".join(text.split())
    if len(compact) < 16 or len(compact) % 4 or not _BASE64_RE.match(compact):
        return None
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    encoding = "base64"
    if data[:2] == b"\x1f\x8b":
        try:
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, _MAX_DECODED)
        except zlib.error:
            return None
        encoding = "gzip+base64"
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not decoded:
        return None
    printable = sum(1 for c in decoded if c.isprintable() or c in "\r\n\t")
    return (decoded, encoding) if printable >= 0.95 * len(decoded) else None


def _parse_json(text: str) -> Any:
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{" or len(stripped) > _MAX_DECODED:
        return None
    try:
        return json.loads(stripped)
    except (ValueError, RecursionError):
        return None


# ---------------------------------------------------------------- recognising credentials


@dataclass(frozen=True, slots=True)
class _NameSays:
    """What an attribute / variable / environment variable name says its value is."""

    secret: bool
    token: bool
    env_type: str | None  # the credential an AWS environment variable name holds
    destination: bool  # a file destination (a credentials file written there)


@functools.lru_cache(maxsize=8192)
def _name_says(name: str) -> _NameSays:
    """Computed once per distinct name: names repeat across resources."""
    normalised = _norm(name)
    return _NameSays(_secret_name(name), _token_name(name), _ENV_NAMES.get(normalised),
                     normalised in ("destination", "dest", "path", "target"))


_ASSIGNED_NAMES = tuple((re.compile(name, re.IGNORECASE), type_) for name, type_ in (
    ("aws_access_key_id", ACCESS_KEY_ID), ("aws_secret_access_key", SECRET_ACCESS_KEY),
    ("aws_session_token", SESSION_TOKEN), ("aws_security_token", SESSION_TOKEN)))


def _assigned_type(written: str) -> str:
    """The credential a name matched by the assignment patterns holds, matched as they match it
    (case-insensitively, so also when a letter is written as one that folds to it, like U+017F)."""
    return next(type_ for pattern, type_ in _ASSIGNED_NAMES if pattern.fullmatch(written))


def _may_hold_key_id(text: str) -> bool:
    """False when ``text`` holds no access key id prefix (:data:`KEY_ID_RE` cannot match)."""
    return "AKIA" in text or "ASIA" in text or "ABIA" in text or "ACCA" in text or "A3T" in text


def _may_assign(text: str) -> bool:
    """False when neither assignment pattern can match: both need these words in some case (text
    outside ASCII is always matched, as case-insensitive matching folds some such letters to ASCII)."""
    if not text.isascii():
        return True
    lowered = text.lower()
    return "aws_" in lowered or "configure" in lowered


def _scan_text(text: str, path: str, name: str, encoding: str, needle: str,
               named_setup: bool, depth: int = 0) -> Iterator[_Raw]:
    """Credentials in one string: the string as a named value, as script text, and decoded.

    ``needle`` is the text as written in the file (the encoded form for decoded text);
    ``named_setup`` allows a placeholder under an AWS environment variable name to count.
    Each regular expression runs only on text holding a literal it needs."""
    def hit(type_: str, value: str, form: str = FORM_KEY) -> _Raw:
        return _Raw(path, type_, value, encoding, form, (value, needle))

    says = _name_says(name)
    if len(text) < _SHORTEST_UNNAMED_HIT and says.env_type is None:
        return
    stripped = text.strip()
    # The whole string is the value of a named attribute / variable / environment variable.
    if says.secret and looks_like_secret_key(stripped):
        yield hit(SECRET_ACCESS_KEY, stripped)
    if says.token and _TOKEN_RE.fullmatch(stripped):
        yield hit(SESSION_TOKEN, stripped)
    env_type = says.env_type
    if env_type and named_setup and not _is_reference(stripped) and " " not in stripped \
            and not KEY_ID_RE.fullmatch(stripped) and not looks_like_secret_key(stripped) \
            and not _TOKEN_RE.fullmatch(stripped):
        yield hit(env_type, stripped, FORM_SETUP)

    if _may_hold_key_id(text):
        for match in KEY_ID_RE.finditer(text):
            yield hit(ACCESS_KEY_ID, match.group(0))

    assigned = False
    if _may_assign(text):
        for regex in (_ASSIGNMENT_RE, _CONFIGURE_SET_RE):
            for match in regex.finditer(text):
                type_ = _assigned_type(match.group(1))
                value = match.group(2)
                if _is_reference(value):
                    continue
                assigned = True
                if type_ == ACCESS_KEY_ID and KEY_ID_RE.fullmatch(value):
                    continue  # already reported above
                if type_ == SECRET_ACCESS_KEY and looks_like_secret_key(value):
                    yield hit(type_, value)
                elif type_ == SESSION_TOKEN and _TOKEN_RE.fullmatch(value):
                    yield hit(type_, value)
                else:
                    yield hit(type_, value, FORM_SETUP)
    if not assigned and _CREDENTIALS_PATH in text:
        for match in _CREDENTIALS_FILE_RE.finditer(text):
            yield hit(CREDENTIALS_FILE, match.group(1), FORM_SETUP)
        if stripped.endswith(_CREDENTIALS_PATH) and " " not in stripped and says.destination:
            yield hit(CREDENTIALS_FILE, stripped, FORM_SETUP)

    if depth >= _MAX_DEPTH:
        return
    parsed = _parse_json(text)
    if isinstance(parsed, (dict, list)):
        suffix = f"{encoding}+json" if encoding != "plain" else "json"
        for sub_path, sub_name, leaf in _scanned_leaves(parsed, "", name):
            if isinstance(leaf, str):
                yield from _scan_text(leaf, f"{path} (json){'.' + sub_path if sub_path else ''}",
                                      sub_name, suffix, needle if encoding != "plain" else leaf,
                                      named_setup, depth + 1)
        return
    decoded = _decode_base64(text)
    if decoded is not None:
        inner, how = decoded
        combined = how if encoding == "plain" else f"{how}+{encoding}"
        yield from _scan_text(inner, f"{path} ({how})", name, combined,
                              needle if encoding != "plain" else text[:60], named_setup, depth + 1)


def _scan_leaf(path: str, name: str, leaf: str | Unresolved, named_setup: bool) -> Iterator[_Raw]:
    if isinstance(leaf, str):
        yield from _scan_text(leaf, path, name, "plain", leaf, named_setup)
    elif isinstance(leaf, Unresolved):
        # The expression as written: literals inside it are hard-coded all the same.
        yield from _scan_text(leaf.expr, path, name, "expression", leaf.expr[:60], named_setup)
        for i, alternative in enumerate(leaf.alternatives):
            for sub_path, sub_name, sub_leaf in _scanned_leaves(alternative, f"{path}<alt{i}>", name):
                yield from _scan_leaf(sub_path, sub_name, sub_leaf, named_setup)


def _scan_authentication(metadata: Any) -> Iterator[_Raw]:
    """``AWS::CloudFormation::Authentication`` blocks that carry keys or passwords."""
    if not isinstance(metadata, dict):
        return
    blocks = metadata.get("AWS::CloudFormation::Authentication")
    if not isinstance(blocks, dict):
        return
    for block_name, block in blocks.items():
        if not isinstance(block, dict):
            continue
        for key, type_ in (("accessKeyId", ACCESS_KEY_ID), ("secretKey", SECRET_ACCESS_KEY),
                           ("password", PASSWORD)):
            if key not in block:
                continue
            value = block[key]
            path = f"metadata.AWS::CloudFormation::Authentication.{block_name}.{key}"
            if isinstance(value, str):
                if type_ == PASSWORD and value:
                    yield _Raw(path, PASSWORD, value, "plain", FORM_PASSWORD, (value, f'"{key}"'))
                elif type_ == ACCESS_KEY_ID and value and not KEY_ID_RE.fullmatch(value):
                    yield _Raw(path, type_, value, "plain", FORM_SETUP, (value, f'"{key}"'))
                elif type_ == SECRET_ACCESS_KEY and value and not looks_like_secret_key(value):
                    yield _Raw(path, type_, value, "plain", FORM_SETUP, (value, f'"{key}"'))
                # key-shaped literals are found by the general scan
            elif value is not None:
                yield _Raw(path, type_, _describe_reference(value), "reference", FORM_SETUP,
                           (f'"{key}"', f"{key}:"))


def _describe_reference(value: Any) -> str:
    if isinstance(value, Unresolved):
        return value.expr
    if isinstance(value, Unknown):
        return "known after apply"
    if isinstance(value, dict) and len(value) == 1:
        fn, arg = next(iter(value.items()))
        if isinstance(arg, list):
            arg = ".".join(str(a) for a in arg)
        return f"{fn} {arg}"
    return json.dumps(value, default=str)[:80]


def _holder_name(resource: RawResource) -> str:
    return "" if resource.mode in ("managed", "data", "provider", "module") else resource.name


def _scan_resource(resource: RawResource) -> list[_Raw]:
    if resource.type in GENERATED_KEY_TYPES:
        return []
    # Placeholders under AWS_ACCESS_KEY_ID-like names count where something is configured (an
    # environment, a script), not in variable defaults or provider blocks (local test stacks).
    named_setup = resource.mode in ("managed", "data", "module")
    found: list[_Raw] = []
    for path, name, leaf in _scanned_leaves(resource.attrs, "", _holder_name(resource)):
        found.extend(_scan_leaf(path or resource.name, name, leaf, named_setup))
    metadata = resource.meta.get("metadata")
    if metadata is not None:
        for path, name, leaf in _scanned_leaves(metadata, "metadata", ""):
            found.extend(_scan_leaf(path, name, leaf, named_setup))
        found.extend(_scan_authentication(metadata))
    for key in ("provisioner", "provisioners"):
        if key in resource.meta:
            for path, name, leaf in _scanned_leaves(resource.meta[key], key, ""):
                found.extend(_scan_leaf(path, name, leaf, named_setup))
    # A 40-character secret next to a key id in the same holder, whatever its name, unless a value
    # named as the secret was already found (other 40-character strings are then ids, not keys).
    if any(r.type == ACCESS_KEY_ID and r.form == FORM_KEY for r in found) and not any(
            r.type == SECRET_ACCESS_KEY and r.form == FORM_KEY for r in found):
        # (Text shorter than a secret is left out of the walk; it holds no 40-character candidate.)
        for path, name, leaf in _scanned_leaves(resource.attrs, "", _holder_name(resource)):
            text = leaf.expr if isinstance(leaf, Unresolved) else leaf
            if isinstance(text, str):
                for match in SECRET_CANDIDATE_RE.finditer(text):
                    if looks_like_secret_key(match.group(0)):
                        found.append(_Raw(path, SECRET_ACCESS_KEY, match.group(0),
                                          "expression" if text is not leaf else "plain", FORM_KEY,
                                          (match.group(0),)))
    return _dedupe(found)


def _dedupe(found: Iterable[_Raw]) -> list[_Raw]:
    seen: dict[tuple[str, str], _Raw] = {}
    for raw in found:
        seen.setdefault((raw.type, raw.value), raw)
    return list(seen.values())


# ---------------------------------------------------------------- lines and attribution


def _read_lines(path: str, cache: dict[str, list[str] | None]) -> list[str] | None:
    if path not in cache:
        try:
            file = Path(path)
            cache[path] = (file.read_text(encoding="utf-8", errors="replace").splitlines()
                           if file.is_file() and file.stat().st_size <= 16 * _MAX_DECODED else None)
        except OSError:
            cache[path] = None
    return cache[path]


def _find_line(resource: RawResource, needles: tuple[str, ...],
               cache: dict[str, list[str] | None]) -> int | None:
    """The first line of the holder's span holding one of the needles (tried in order)."""
    if resource.line is None or not resource.file:
        return None
    lines = _read_lines(resource.file, cache)
    if lines is None:
        return None
    end = min(resource.end_line or len(lines), len(lines))
    for needle in needles:
        first = needle.strip().splitlines()[0][:60] if needle.strip() else ""
        if not first:
            continue
        for number in range(max(resource.line, 1), end + 1):
            if first in lines[number - 1]:
                return number
    return None


def _module_local(address: str, module: str) -> str:
    """``module.m.var.x`` -> ``var.x`` inside module ``module.m``."""
    prefix = f"{module}." if module else ""
    return address[len(prefix):] if prefix and address.startswith(prefix) else address


def _holder_key(resource: RawResource) -> tuple[str, str]:
    return resource.module, _module_local(resource.address, resource.module)


def _propagated(resource: RawResource, by_holder: dict[tuple[str, str], list[_Raw]]) -> list[_Raw]:
    """Credentials a resource receives through a variable, tfvars entry or local it refers to."""
    out: list[_Raw] = []
    for attr, addresses in resource.refs.items():
        for address in addresses:
            local = _module_local(address, resource.module)
            if not local.startswith(("var.", "local.")):
                continue
            for raw in by_holder.get((resource.module, local), []):
                out.append(_Raw(f"{attr} (from {local})", raw.type, raw.value, raw.encoding, raw.form,
                                (raw.value, local)))
    return out


class ResourceScans:
    """What the scan found in the own values (before values reach them through variables) of the
    resources a plan leaves alone, for scanning them again: the plan's prior state holds each of them
    with the very attribute tree of its planned state (``before is attrs``). Other resources are not
    remembered (a big plan's memory). Entries hold the trees they were made from, so an identity
    seen here is never a new tree's."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, int, str, str, str], tuple[object, object, list[_Raw]]] = {}

    def scan(self, resource: RawResource) -> list[_Raw]:
        key = (id(resource.attrs), id(resource.meta), resource.type, resource.mode, resource.name)
        held = self._found.get(key)
        if held is not None:
            return held[2]
        found = _scan_resource(resource)
        if resource.before is resource.attrs:
            self._found[key] = (resource.attrs, resource.meta, found)
        return found


def find_credentials(resources: Iterable[RawResource], scans: ResourceScans | None = None) -> list[CredentialHit]:
    """Every static credential written in the given resources, one hit per holder, type and value;
    ``scans``: what earlier scans found, taken where a resource's values are the ones scanned then.
    The scan makes many short-lived objects and no cycles: the cyclic collector is paused meanwhile."""
    with collector_paused():
        return _find_credentials(list(resources), scans)


def _find_credentials(resources: list[RawResource], scans: ResourceScans | None) -> list[CredentialHit]:
    scan = _scan_resource if scans is None else scans.scan
    scanned = [(resource, scan(resource)) for resource in resources]
    by_holder: dict[tuple[str, str], list[_Raw]] = {}
    for resource, found in scanned:
        if resource.mode in ("variable", "tfvars", "local") and found:
            by_holder.setdefault(_holder_key(resource), []).extend(found)
    cache: dict[str, list[str] | None] = {}
    hits: list[CredentialHit] = []
    for resource, found in scanned:
        if resource.mode not in ("variable", "tfvars", "local"):
            found = _dedupe([*found, *_propagated(resource, by_holder)])
        forms_with = {(raw.form, raw.type) for raw in found}
        for raw in found:
            paired = (raw.form != FORM_PASSWORD and (raw.form, ACCESS_KEY_ID) in forms_with
                      and (raw.form, SECRET_ACCESS_KEY) in forms_with)
            hits.append(CredentialHit(
                holder=resource, path=raw.path, type=raw.type, redacted=_redacted(raw),
                is_example=raw.form == FORM_KEY and _is_example(raw.value), paired=paired,
                encoding=raw.encoding, line=_find_line(resource, raw.needles, cache), form=raw.form))
    return hits


def _redacted(raw: _Raw) -> str:
    if raw.type == CREDENTIALS_FILE or raw.encoding == "reference":
        return raw.value  # a file path or a reference, not a secret
    return redact(raw.value)


# ---------------------------------------------------------------- subjects


CREDENTIAL_KIND = "credential"
SETUP_KIND = "credential_setup"


def credential_subjects(hits: list[CredentialHit]) -> list[Subject]:
    """One subject per holder, type and value (the hits are already unique on that).

    Key material (form ``key``) becomes kind ``credential``. Configured credentials without
    visible key material and literal passwords (forms ``setup`` / ``password``) become kind
    ``credential_setup``, with the same facts plus ``credential.form``."""
    subjects: list[Subject] = []
    for hit in hits:
        holder = hit.holder
        source = Source(holder.file, hit.line or holder.line, holder.end_line, holder.address, hit.path)
        facts = {
            "credential.type": known(hit.type, source),
            "credential.is_example": known(hit.is_example, source),
            "credential.paired": known(hit.paired, source),
            "credential.location": known(hit.location, source),
            "credential.redacted": known(hit.redacted, source),
            "credential.encoding": known(hit.encoding, source),
        }
        if hit.form != FORM_KEY:
            facts["credential.form"] = known(hit.form, source)
        subjects.append(Subject(
            kind=CREDENTIAL_KIND if hit.form == FORM_KEY else SETUP_KIND, address=holder.address, resource_type=holder.type,
            source_kind=holder.source_kind, source=holder.source, facts=facts,
            actions=holder.actions,
            meta={k: v for k, v in holder.meta.items() if k not in ("metadata", "provisioner", "provisioners")}))
    return subjects


_SECRET_ATTRS = ("secret", "ses_smtp_password_v4")


def _plain_output_of(key: RawResource, output: RawResource) -> bool:
    """True when a non-sensitive output exposes the key's secret."""
    attrs = output.attrs
    if attrs.get("sensitive") is True or str(attrs.get("sensitive")).lower() == "true":
        return False
    local = f"{key.type}.{key.name}"
    value = attrs.get("value", attrs.get("Value"))
    texts: list[str] = []
    for _, _, leaf in _walk(value, "", ""):
        if isinstance(leaf, Unresolved):
            texts.append(leaf.expr)
        elif isinstance(leaf, str):
            texts.append(leaf)
    if key.source_kind == "cloudformation":
        text = json.dumps(value, default=lambda v: getattr(v, "expr", str(v)))
        return key.name in text and "SecretAccessKey" in text
    pattern = re.compile(re.escape(local) + r"(?:\[[^\]]*\])?\.(?:" + "|".join(_SECRET_ATTRS) + r")\b")
    return any(pattern.search(text) and "sensitive(" not in text.replace("nonsensitive(", "")
               for text in texts)


def access_key_subjects(resources: Iterable[RawResource]) -> list[Subject]:
    """Kind ``iam_access_key``: long-lived keys created for an IAM user, and whether a plain output
    exposes their secret."""
    resources = list(resources)
    outputs = [r for r in resources if r.mode == "output"]
    subjects: list[Subject] = []
    for key in resources:
        if key.type not in GENERATED_KEY_TYPES or key.mode not in ("managed", ""):
            continue
        # With a pgp_key the provider keeps only encrypted_secret; `secret` stays empty.
        encrypted = isinstance(key.attrs.get("pgp_key"), (str, Unresolved)) and key.attrs.get("pgp_key") != ""
        exposing = [] if encrypted else [o for o in outputs
                                         if o.module == key.module and _plain_output_of(key, o)]
        if exposing:
            out = exposing[0]
            secret_fact = known(True, Source(out.file, out.line, out.end_line, out.address, "value"))
        else:
            secret_fact = known(False, key.source.at("secret"))
        user_attr = "UserName" if key.source_kind == "cloudformation" else "user"
        subjects.append(Subject(
            kind="iam_access_key", address=key.address, resource_type=key.type,
            source_kind=key.source_kind, source=key.source,
            facts={"secret_in_plain_output": secret_fact,
                   "user_has_keys": known(True, key.source.at(user_attr))},
            actions=key.actions,
            meta={k: v for k, v in key.meta.items() if k != "metadata"}))
    return subjects
