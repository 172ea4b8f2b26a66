"""IAM policy documents: parsing, AWS's "public" test, and what a statement grants.

Works on bucket policies, access point policies and IAM (identity or trust) policies alike. The
public test follows S3 Block Public Access: a statement whose principal is everyone is public unless
a condition pins one of a fixed list of keys to fixed values, positively and mandatorily. Three-valued
answers (``True`` / ``False`` / ``None`` for "cannot tell") keep what the gate cannot see apart from
what is safe.
"""
from __future__ import annotations

import dataclasses
import functools
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Literal

from ..values import Unknown, Unresolved, Value, is_opaque

Context = Literal["bucket", "access_point", "identity"]
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LITERAL_VARIABLES_VERSION = "2008-10-17"

# ----------------------------------------------------------------------------------- options


@dataclass(frozen=True, slots=True)
class PolicyOptions:
    """Limits of the gate's own broad-address test (stricter than AWS's /8 rule)."""

    min_ipv4_prefix: int = 16
    max_public_addresses: int = 65_536
    min_ipv6_prefix: int = 48


# ------------------------------------------------------------------------------ parsed shapes


@dataclass(frozen=True, slots=True)
class PrincipalEntry:
    """One principal: ``kind`` is ``*`` (the bare star form), AWS, Service, Federated,
    CanonicalUser or what the policy wrote; ``value`` is a string or an opaque leaf."""

    kind: str
    value: Any


@dataclass(frozen=True, slots=True)
class ConditionClause:
    """One ``operator: {key: values}`` pair, normalised.

    ``base`` is the lower-case operator without qualifier or ``IfExists`` (``stringequals``);
    ``key`` is lower-case. ``values`` may hold opaque leaves. ``opaque`` is set when the whole
    operator block (or the whole Condition) could not be seen; ``key`` is then empty."""

    operator: str
    base: str
    qualifier: str | None  # "forallvalues" | "foranyvalue"
    if_exists: bool
    key: str
    key_as_written: str
    values: tuple[Any, ...]
    opaque: Unknown | Unresolved | None = None

    @property
    def negated(self) -> bool:
        return self.base in _NEGATED_OPERATORS

    def describe(self) -> str:
        shown = ", ".join(_show(v) for v in self.values)
        return f"{self.operator} {self.key_as_written} {shown}".strip()


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: str | None  # "Allow" / "Deny"; None when opaque
    principals: tuple[PrincipalEntry, ...] | None  # None: no Principal element
    not_principals: tuple[PrincipalEntry, ...] | None
    actions: tuple[Any, ...] | None
    not_actions: tuple[Any, ...] | None
    resources: tuple[Any, ...] | None
    not_resources: tuple[Any, ...] | None
    conditions: tuple[ConditionClause, ...]
    opaque: Unknown | Unresolved | None = None  # the whole statement could not be seen

    @property
    def label(self) -> str:
        return f"statement '{self.sid}'" if self.sid else f"statement #{self.index + 1}"


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    version: str | None = None
    statements: tuple[Statement, ...] = ()
    problems: tuple[str, ...] = ()
    opaque_reason: str | None = None

    @property
    def readable(self) -> bool:
        return not self.problems and self.opaque_reason is None

    @property
    def literal_variables(self) -> bool:
        return self.version == LITERAL_VARIABLES_VERSION


# ------------------------------------------------------------------------------------ parsing


def parse_policy(doc: Any) -> PolicyDocument:
    """Normalise a policy given as JSON text, a dict (opaque leaves allowed), an opaque leaf or a
    model :class:`Value`. Never raises: unreadable input becomes a document with problems."""
    if isinstance(doc, Value):
        if doc.opaque:
            return PolicyDocument(opaque_reason=doc.reason or "the policy is not known before apply")
        if doc.absent:
            return PolicyDocument(problems=("no policy document",))
        doc = doc.value
    if is_opaque(doc):
        return PolicyDocument(opaque_reason=f"the policy is {_opaque_text(doc)}")
    if isinstance(doc, (bytes, bytearray)):
        doc = doc.decode("utf-8", errors="replace")
    if isinstance(doc, str):
        if not doc.strip():
            return PolicyDocument(problems=("the policy is empty",))
        try:
            doc = json.loads(doc)
        except (ValueError, RecursionError) as exc:
            where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else "too deeply nested"
            return PolicyDocument(problems=(f"the policy is not valid JSON: {message}{where}",))
    if not isinstance(doc, dict):
        return PolicyDocument(problems=(f"the policy is not a JSON object but {_type_name(doc)}",))
    version_raw = _get(doc, "Version")
    version = None if version_raw is None or is_opaque(version_raw) else str(version_raw)
    raw_statements = _get(doc, "Statement")
    if raw_statements is None:
        return PolicyDocument(version, problems=("the policy has no Statement",))
    if is_opaque(raw_statements):
        return PolicyDocument(version, opaque_reason=f"the policy's Statement is {_opaque_text(raw_statements)}")
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        return PolicyDocument(version, problems=(f"Statement is {_type_name(raw_statements)}, not a list",))
    statements: list[Statement] = []
    problems: list[str] = []
    for index, raw in enumerate(raw_statements):
        statement, problem = _parse_statement(index, raw)
        statements.append(statement)
        if problem:
            problems.append(problem)
    return PolicyDocument(version, tuple(statements), tuple(problems))


def _parse_statement(index: int, raw: Any) -> tuple[Statement, str | None]:
    empty = Statement(index, None, None, None, None, None, None, None, None, ())
    if is_opaque(raw):
        return Statement(index, None, None, None, None, None, None, None, None, (), opaque=raw), None
    if not isinstance(raw, dict):
        return empty, f"statement #{index + 1} is {_type_name(raw)}, not an object"
    lowered = _lowered_keys(raw)

    def element(name: str) -> Any:
        return _get(raw, name, lowered)

    def written(name: str) -> bool:
        return name.lower() in lowered

    sid_raw = element("Sid")
    sid = None if sid_raw is None or is_opaque(sid_raw) else str(sid_raw)
    effect_raw = element("Effect")
    effect: str | None = None
    problem = None
    if isinstance(effect_raw, str) and effect_raw.strip().lower() in ("allow", "deny"):
        effect = effect_raw.strip().capitalize()
    elif not is_opaque(effect_raw):
        problem = f"statement #{index + 1} has Effect {_show(effect_raw)}"
    conditions, condition_problem = _parse_conditions(element("Condition"))
    statement = Statement(
        index=index,
        sid=sid,
        effect=effect,
        principals=_parse_principal(element("Principal"), present=written("Principal")),
        not_principals=_parse_principal(element("NotPrincipal"), present=written("NotPrincipal")),
        actions=_as_tuple(element("Action"), present=written("Action")),
        not_actions=_as_tuple(element("NotAction"), present=written("NotAction")),
        resources=_as_tuple(element("Resource"), present=written("Resource")),
        not_resources=_as_tuple(element("NotResource"), present=written("NotResource")),
        conditions=conditions,
    )
    return statement, problem or (f"statement #{index + 1}: {condition_problem}" if condition_problem else None)


_PRINCIPAL_KINDS = {"aws": "AWS", "service": "Service", "federated": "Federated",
                    "canonicaluser": "CanonicalUser"}


def _parse_principal(raw: Any, *, present: bool) -> tuple[PrincipalEntry, ...] | None:
    if not present:
        return None
    if is_opaque(raw):
        return (PrincipalEntry("?", raw),)
    if isinstance(raw, str):
        return (PrincipalEntry("*" if raw.strip() == "*" else "AWS", raw.strip()),)
    if isinstance(raw, list):
        return tuple(e for item in raw for e in (_parse_principal(item, present=True) or ()))
    if isinstance(raw, dict):
        entries: list[PrincipalEntry] = []
        for kind_raw, values in raw.items():
            kind = _PRINCIPAL_KINDS.get(str(kind_raw).lower(), str(kind_raw))
            for value in _as_tuple(values, present=True) or ():
                entries.append(PrincipalEntry(kind, _normalise_principal_value(kind, value)))
        return tuple(entries)
    return (PrincipalEntry("AWS", _normalise_principal_value("AWS", raw)),)


def _normalise_principal_value(kind: str, value: Any) -> Any:
    if is_opaque(value):
        return value
    if kind == "AWS" and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:012d}"
    text = str(value).strip()
    if kind == "AWS" and text.isdigit() and len(text) < 12:
        return text.zfill(12)
    return text


def _parse_conditions(raw: Any) -> tuple[tuple[ConditionClause, ...], str | None]:
    if raw is None:
        return (), None
    if is_opaque(raw):
        return (ConditionClause("?", "?", None, False, "", "", (), opaque=raw),), None
    if not isinstance(raw, dict):
        return (ConditionClause("?", "?", None, False, "", "", (), opaque=Unresolved(
            _show(raw), "Condition is not an object")),), f"Condition is {_type_name(raw)}, not an object"
    clauses: list[ConditionClause] = []
    for operator_raw, block in raw.items():
        operator = str(operator_raw)
        base, qualifier, if_exists = _split_operator(operator)
        if is_opaque(block) or not isinstance(block, dict):
            leaf = block if is_opaque(block) else Unresolved(_show(block), "condition block is not an object")
            clauses.append(ConditionClause(operator, base, qualifier, if_exists, "", "", (), opaque=leaf))
            continue
        for key_raw, values in block.items():
            key = str(key_raw)
            clauses.append(ConditionClause(operator, base, qualifier, if_exists, key.lower(), key,
                                           _as_tuple(values, present=True) or ()))
    return tuple(clauses), None


def _split_operator(operator: str) -> tuple[str, str | None, bool]:
    text = operator.strip().lower()
    qualifier = None
    for prefix in ("forallvalues:", "foranyvalue:"):
        if text.startswith(prefix):
            qualifier, text = prefix[:-1], text[len(prefix):]
    if_exists = text.endswith("ifexists")
    if if_exists:
        text = text[: -len("ifexists")]
    return text, qualifier, if_exists


# ------------------------------------------------------------------------------- statement view


@dataclass(frozen=True, slots=True)
class StatementAnalysis:
    index: int
    sid: str | None
    effect: str | None
    principal_class: str  # public | account | service | none | unknown
    public: bool | None  # AWS's view, this statement alone (always False for Deny)
    effective_public: bool | None  # after Deny statements that narrow it
    broad_source_ip: bool | None  # AWS-non-public only through a too-broad aws:SourceIp pin
    effective_broad_source_ip: bool | None
    access: frozenset[str]
    access_complete: bool  # False when an opaque action may grant more
    all_actions: bool | None
    any_principal: bool | None
    not_principal: bool
    not_action: bool
    reasons: tuple[str, ...]
    closed_by: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return f"statement '{self.sid}'" if self.sid else f"statement #{self.index + 1}"

    @property
    def allows(self) -> bool:
        return self.effect != "Deny"


@dataclass(frozen=True, slots=True)
class PolicyAnalysis:
    document: PolicyDocument
    context: str
    statements: tuple[StatementAnalysis, ...]
    aws_public: bool | None
    effective_public: bool | None
    any_principal: bool | None
    all_actions: bool | None
    allow_not_principal: bool | None
    allow_not_action: bool | None
    broad_source_ip: bool | None  # effective view
    denies_insecure_transport: bool | None
    public_access: frozenset[str]  # effective view
    aws_public_access: frozenset[str]
    broad_access: frozenset[str]
    problems: tuple[str, ...] = ()
    unknown_reason: str | None = None  # why the whole document could not be evaluated

    def statements_where(self, attribute: str, value: Any = True) -> tuple[StatementAnalysis, ...]:
        return tuple(s for s in self.statements if getattr(s, attribute) is value)


# ------------------------------------------------------------------------- action vocabulary

ACCESS_KINDS = ("read", "list", "write", "delete", "acl", "policy")

REPRESENTATIVE_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes",
             "s3:GetObjectVersionAttributes", "s3:GetObjectTorrent", "s3:GetObjectVersionTorrent",
             "s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:GetObjectRetention",
             "s3:GetObjectLegalHold"),
    "list": ("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads",
             "s3:ListMultipartUploadParts"),
    "write": ("s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectVersionTagging",
              "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:AbortMultipartUpload",
              "s3:RestoreObject", "s3:ReplicateObject"),
    "delete": ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteObjectTagging",
               "s3:DeleteObjectVersionTagging", "s3:DeleteBucket"),
    "acl": ("s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
    "policy": ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPublicAccessBlock",
               "s3:DeleteBucketPublicAccessBlock", "s3:PutBucketOwnershipControls",
               "s3:DeleteBucketOwnershipControls", "s3:PutAccessPointPolicy"),
}
# Actions that belong to no access kind but still matter when comparing Allow and Deny coverage.
_OTHER_ACTIONS = ("s3:GetObjectAcl", "s3:GetObjectVersionAcl", "s3:GetBucketAcl",
                  "s3:GetBucketPolicy", "s3:GetBucketLocation", "s3:GetBucketVersioning",
                  "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration",
                  "s3:PutBucketWebsite", "s3:PutEncryptionConfiguration")
_ALL_REPRESENTATIVE = tuple(a for kind in ACCESS_KINDS for a in REPRESENTATIVE_ACTIONS[kind]) + _OTHER_ACTIONS
_ALL_ACTION_PATTERNS = ("*", "s3:*")


@functools.lru_cache(maxsize=4096)
def _glob_regex(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    """The compiled form of an IAM glob; policies repeat the same few patterns many times."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(regex, re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


def glob_match(pattern: str, text: str, *, case_sensitive: bool = False) -> bool:
    """IAM-style glob: ``*`` any run, ``?`` one character, nothing else special."""
    return _glob_regex(pattern, case_sensitive).fullmatch(text) is not None


def _known_strings(items: Iterable[Any]) -> list[str]:
    return [str(i) for i in items if not is_opaque(i)]


@functools.lru_cache(maxsize=4096)
def _matched_actions(patterns: tuple[str, ...], excluded: bool) -> frozenset[str]:
    """The representative actions some pattern matches (with ``excluded``: that none matches).
    Statements repeat the same few action lists: each distinct list is matched once."""
    if excluded:
        return frozenset(a for a in _ALL_REPRESENTATIVE if not any(glob_match(p, a) for p in patterns))
    return frozenset(a for a in _ALL_REPRESENTATIVE if any(glob_match(p, a) for p in patterns))


def granted_actions(statement: Statement) -> tuple[frozenset[str], bool]:
    """The representative actions a statement's Action/NotAction covers, and whether that is
    the complete answer (False when an opaque action could add more)."""
    if statement.opaque is not None:
        return frozenset(), False
    if statement.actions is not None:
        patterns = _known_strings(statement.actions)
        complete = len(patterns) == len(statement.actions)
        return _matched_actions(tuple(patterns), False), complete
    if statement.not_actions is not None:
        excluded = _known_strings(statement.not_actions)
        complete = len(excluded) == len(statement.not_actions)
        return _matched_actions(tuple(excluded), True), complete
    return frozenset(), True


def _covers_every_action(statement: Statement) -> bool | None:
    """True when the statement covers all S3 actions, present and future."""
    if statement.actions is not None:
        if any(isinstance(a, str) and a.strip().lower() in _ALL_ACTION_PATTERNS for a in statement.actions):
            return True
        return None if any(is_opaque(a) for a in statement.actions) else False
    if statement.not_actions is not None:
        if any(is_opaque(a) for a in statement.not_actions):
            return None
        # Every representative action is left over when no excluded pattern matches any of them.
        return len(_matched_actions(tuple(_known_strings(statement.not_actions)), True)) == len(_ALL_REPRESENTATIVE)
    return False


def access_kinds(actions: frozenset[str], every_action: bool | None) -> frozenset[str]:
    kinds = {kind for kind in ACCESS_KINDS
             if any(a in actions for a in REPRESENTATIVE_ACTIONS[kind])}
    if every_action:
        kinds.add("all")
    return frozenset(kinds)


# ---------------------------------------------------------------------------- principal class

_ACCOUNT_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:.+$", re.IGNORECASE)


# An ARN principal whose account (or name) is set at deploy: AWS accepts no wildcard inside an ARN
# principal, so it names one principal whatever the value.
_SUB_PART = r"(?:\$\{[^}]*\}|[^:\s$])*"  # literal text and ${...} references, no colon of its own
# (The resource part may hold spaces: a CloudFront origin access identity's user name does.)
_DEPLOY_TIME_ARN = re.compile(rf"Fn::Sub arn:{_SUB_PART}:(?:iam|sts)::{_SUB_PART}:\S.*")


# The ARN (or unique id) of an IAM role or user the configuration creates, known only after apply:
# one principal, never a wildcard. Terraform configurations and plans word it differently.
# A CloudFront origin access identity is one fixed principal too: its IAM ARN as an AWS principal, its
# canonical user id as a CanonicalUser principal.
_IAM_ADDRESS = (r"(?:module\.[^\s]+?\.)?aws_(?:iam_role|iam_user|cloudfront_origin_access_identity)"
                r"\.[\w-]+(?:\[[^\]]*\])?")
_CREATED_IAM_PRINCIPAL = re.compile(
    rf"(?P<address>{_IAM_ADDRESS})\.(?:arn|unique_id|iam_arn|s3_canonical_user_id) is known only after apply")
_IAM_RESOURCE = re.compile(_IAM_ADDRESS)


def _created_iam_principal(entry: PrincipalEntry) -> tuple[str, str] | None:
    value = entry.value
    if entry.kind not in ("AWS", "CanonicalUser") or not isinstance(value, Unknown):
        return None
    match = _CREATED_IAM_PRINCIPAL.fullmatch(value.reason)
    if match is not None:
        address = match.group("address")
    elif value.derived_from and all(_IAM_RESOURCE.fullmatch(a) for a in value.derived_from):
        address = ", ".join(value.derived_from)  # a plan: computed from IAM principals created here
    else:
        return None
    return "account", f"principal {address} (created by this configuration; its ARN is set at apply)"


def _classify_opaque_principal(entry: PrincipalEntry, literal_variables: bool) -> tuple[str, str] | None:
    """What an opaque principal can still be shown to be: every value a ``Fn::If`` or ``Fn::FindInMap``
    may take, an ARN template, or the ARN of an IAM role or user created alongside."""
    value = entry.value
    created = _created_iam_principal(entry)
    if created is not None:
        return created
    if entry.kind == "?" or not isinstance(value, Unresolved):
        return None
    if value.alternatives:
        values = [v for alt in value.alternatives for v in (alt if isinstance(alt, list) else [alt])]
        classes = [_classify_principal(PrincipalEntry(entry.kind, _normalise_principal_value(entry.kind, v)),
                                       literal_variables) for v in values]
        worst = min(classes, key=lambda c: _CLASS_ORDER.index(c[0]))
        if worst[0] == "unknown":
            return None
        if worst[0] == "public":
            return "unknown", f"Principal is {value.expr} ({value.reason}), which may be {worst[1]}"
        return worst[0], f"Principal is {value.expr}, each of whose {len(values)} possible values is fixed ({worst[1]})"
    if entry.kind == "AWS" and _DEPLOY_TIME_ARN.fullmatch(value.expr):
        arn = value.expr.removeprefix("Fn::Sub ")
        return "account", f"principal {arn} (named at deploy; an ARN principal cannot be a wildcard)"
    return None


def _classify_principal(entry: PrincipalEntry, literal_variables: bool) -> tuple[str, str]:
    value = entry.value
    if entry.kind == "?" or is_opaque(value):
        narrowed = _classify_opaque_principal(entry, literal_variables)
        if narrowed is not None:
            return narrowed
        # A canonical user id is never a wildcard, whatever resource it comes from.
        fixed = _fixed_at_deploy(value, created=entry.kind == "CanonicalUser") if entry.kind != "?" else None
        if fixed is not None:
            return _classify_principal(PrincipalEntry(entry.kind, fixed), literal_variables)
        return "unknown", f"Principal is {_opaque_text(value)}"
    text = str(value)
    if entry.kind == "*" or (entry.kind == "AWS" and text == "*"):
        form = '"*"' if entry.kind == "*" else '{"AWS": "*"}'
        return "public", f"Principal {form}"
    if entry.kind == "Federated":
        return "public", f'Principal {{"Federated": "{text}"}} (any web or SAML identity of that provider)'
    if not _is_fixed(text, literal_variables):
        return "public", f'Principal {{"{entry.kind}": "{text}"}} is not a fixed value'
    if entry.kind == "Service":
        return "service", f"service principal {text}"
    if entry.kind == "AWS":
        is_account = text.isdigit() or (_ACCOUNT_ARN.match(text) is not None and text.endswith(":root"))
        return "account", f"{'account' if is_account else 'principal'} {text}"
    return "account", f"{entry.kind} principal {text}"


_CLASS_ORDER = ("public", "unknown", "account", "service")


def _statement_principal(statement: Statement, literal_variables: bool) -> tuple[str, bool | None, bool, list[str]]:
    """(principal class, any_principal, uses NotPrincipal, reasons)."""
    if statement.not_principals is not None and statement.effect != "Deny":
        listed = ", ".join(_show(e.value) for e in statement.not_principals)
        return "public", True, True, [f"Allow with NotPrincipal ({listed}) grants everyone else, anonymous users included"]
    if statement.principals is None:
        return "none", False, False, ["no Principal element (identity policy)"]
    classes = [(_classify_principal(e, literal_variables)) for e in statement.principals]
    if not classes:
        return "none", False, False, ["empty Principal"]
    best = min(classes, key=lambda c: _CLASS_ORDER.index(c[0]))
    any_principal: bool | None = any(
        e.kind == "*" or (e.kind == "AWS" and e.value == "*") for e in statement.principals)
    if not any_principal and best[0] == "unknown":
        any_principal = None
    return best[0], any_principal, False, [best[1]]


# ------------------------------------------------------------------------------ condition test

_CONFINING_KEYS = {
    "aws:principalorgid", "aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce",
    "aws:sourceowner", "aws:sourceaccount", "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid", "s3:dataaccesspointarn", "s3:dataaccesspointaccount",
}
# Principal-scoping keys of the same family as aws:PrincipalOrgID; AWS does not list them.
_INFERRED_KEYS = {"aws:principalaccount", "aws:principalarn", "aws:principalorgpaths"}
_EQUALITY_OPERATORS = {"stringequals", "stringequalsignorecase", "arnequals", "ipaddress",
                       "numericequals", "binaryequals"}
_LIKE_OPERATORS = {"stringlike", "arnlike"}
_NEGATED_OPERATORS = {"stringnotequals", "stringnotequalsignorecase", "stringnotlike",
                      "arnnotequals", "arnnotlike", "notipaddress", "numericnotequals"}
_NEGATION_OF = {"stringnotequals": "stringequals", "stringnotequalsignorecase": "stringequalsignorecase",
                "stringnotlike": "stringlike", "arnnotequals": "arnequals", "arnnotlike": "arnlike",
                "notipaddress": "ipaddress"}
_ROLE_SESSION_USERID = re.compile(r"^[A-Za-z0-9]+:\*$")
_ACCESS_POINT_ARN = re.compile(r"^arn:aws[a-z-]*:s3:[^:]*:(\d{12}):accesspoint/.+$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Pin:
    """What one condition clause contributes to the public test."""

    verdict: Literal["confines", "no", "maybe"]
    reason: str
    inferred: bool = False
    networks: tuple[IpNetwork, ...] = ()  # aws:SourceIp pins


# Placeholders that stand for one value filled in at deploy or plan time, never a wildcard and never an
# IAM policy variable (those are written ${aws:...}): CloudFormation pseudo parameters kept inside
# Fn::Sub / Fn::Join; Terraform references to the data sources that read the account, partition and
# region of the credentials; and the id or ARN AWS gives a resource the configuration creates.
_MODULE_PATH = r"(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*"
_INSTANCE = r"\.[\w-]+(?:\[[^\]]*\])?\."
_FIXED_DATA_REF = _MODULE_PATH + r"data\.aws_(?:caller_identity|partition|region)" + _INSTANCE + r"\w+"
_ACCOUNT_DATA_REF = _MODULE_PATH + r"data\.aws_caller_identity" + _INSTANCE + "account_id"
_CREATED_REF = _MODULE_PATH + r"aws_\w+" + _INSTANCE + "(?:id|arn)"
_DEPLOY_PLACEHOLDER = re.compile(
    rf"\$\{{(?:AWS::(?:AccountId|Region|Partition|URLSuffix|StackName|StackId)|{_FIXED_DATA_REF})\}}")
_FIXED_PLACEHOLDER = re.compile(rf"{_DEPLOY_PLACEHOLDER.pattern}|\$\{{{_CREATED_REF}\}}")
_ACCOUNT_PLACEHOLDER = re.compile(rf"\$\{{(?:AWS::AccountId|{_ACCOUNT_DATA_REF})\}}")
# CloudFormation: a Ref to a resource of the template (its physical id) or its Arn / ...Id attribute.
_CFN_CREATED = r"name of [A-Za-z0-9]+|[A-Za-z0-9]+\.(?:Arn|[A-Za-z0-9]*Id)"
_FIXED_UNKNOWN = re.compile(rf"(?P<ref>{_FIXED_DATA_REF}) (?:\(the account of the credentials\) is known "
                            r"only at plan time|is known only after the data source \S+ is read)"
                            rf"|(?P<created>{_CREATED_REF}) is known only after apply"
                            rf"|(?P<cfn_created>{_CFN_CREATED}) is known only after deploy")
_CFN_FIXED_PSEUDO = frozenset({"AWS::AccountId", "AWS::Region", "AWS::StackName", "AWS::StackId"})


def _fixed_at_deploy(leaf: Any, *, created: bool = False) -> str | None:
    """The text of an opaque leaf that is one fixed value set at deploy or plan time (the account id
    of the stack or of the credentials, an ARN built from it; with ``created``, also the id or ARN of
    a resource the configuration creates), with placeholders for the parts set then; None when the
    leaf may be anything."""
    if not isinstance(leaf, Unknown):
        return None
    if leaf.reason in _CFN_FIXED_PSEUDO:
        return f"${{{leaf.reason}}}"
    placeholders = _FIXED_PLACEHOLDER if created else _DEPLOY_PLACEHOLDER
    if leaf.shape is not None:
        shape = leaf.shape.strip()
        return shape if "${" in shape and "${" not in placeholders.sub("", shape) else None
    match = _FIXED_UNKNOWN.fullmatch(leaf.reason)
    if match is None or (match.group("ref") is None and not created):
        return None
    if match.group("cfn_created"):
        return f"({match.group('cfn_created')}, set at deploy)"
    return f"${{{match.group('ref') or match.group('created')}}}"


def _fill_fixed_placeholders(text: str) -> str:
    """``text`` with each fixed placeholder replaced by a stand-in of its kind (an account id by a
    12-digit number), so that shape tests see a fixed value."""
    return _FIXED_PLACEHOLDER.sub("fixed", _ACCOUNT_PLACEHOLDER.sub("000000000000", text))


def _is_fixed(text: str, literal_variables: bool) -> bool:
    if "*" in text or "?" in text:
        return False
    return literal_variables or "${" not in _fill_fixed_placeholders(text)


def _evaluate_clause(clause: ConditionClause, context: str, literal_variables: bool) -> _Pin:
    if clause.opaque is not None:
        return _Pin("maybe", f"condition {clause.operator} is {_opaque_text(clause.opaque)}")
    key, label = clause.key, clause.describe()
    if key not in _CONFINING_KEYS and key not in _INFERRED_KEYS:
        return _Pin("no", f"{label} does not confine: {clause.key_as_written} is not a key AWS accepts as restricting")
    if clause.negated:
        return _Pin("no", f"{label} does not confine: it allows everyone except the listed values")
    if clause.if_exists:
        return _Pin("no", f"{label} does not confine: true when the key is absent")
    if clause.base == "null":
        return _Pin("no", f"{label} does not confine: Null only tests whether the key is present")
    if clause.qualifier == "forallvalues":
        return _Pin("no", f"{label} does not confine: ForAllValues is true when the request has no values")
    is_like = clause.base in _LIKE_OPERATORS
    if clause.base not in _EQUALITY_OPERATORS and not is_like:
        return _Pin("no", f"{label} does not confine: {clause.operator} does not pin the key to fixed values")
    if key == "aws:sourceip" and clause.base != "ipaddress":
        return _Pin("no", f"{label} does not confine: aws:SourceIp needs IpAddress")
    if key != "aws:sourceip" and clause.base == "ipaddress":
        return _Pin("no", f"{label} does not confine: IpAddress on a non-address key")
    if not clause.values:
        return _Pin("no", f"{label} does not confine: no values")
    clause = dataclasses.replace(clause, values=tuple(
        _fixed_at_deploy(v, created=True) or v if is_opaque(v) else v for v in clause.values))
    label = clause.describe()
    if any(is_opaque(v) for v in clause.values):
        opaque = next(v for v in clause.values if is_opaque(v))
        return _Pin("maybe", f"{clause.operator} {clause.key_as_written} value is {_opaque_text(opaque)}")
    texts = [_value_text(v) for v in clause.values]
    if key == "aws:sourceip":
        return _evaluate_source_ip(clause, texts, literal_variables)
    if key == "s3:dataaccesspointarn":
        return _evaluate_access_point_arn(clause, texts, context, literal_variables)
    not_fixed = [t for t in texts if not _is_fixed(t, literal_variables)]
    if not_fixed:
        kind = "a policy variable" if all("*" not in t and "?" not in t for t in not_fixed) else "a wildcard"
        return _Pin("no", f"{label} does not confine: {_show(not_fixed[0])} contains {kind}")
    if key == "aws:userid" and any(_ROLE_SESSION_USERID.match(t) for t in texts):
        return _Pin("no", f"{label} does not confine: the AROLEID:* form matches every session of a role")
    if clause.qualifier == "foranyvalue":
        return _Pin("confines", f"confined by {label} (ForAnyValue on a single-valued key is unusual)")
    if key in _INFERRED_KEYS:
        return _Pin("confines", f"confined by {label} (by inference: a principal-scoping key AWS does not list)",
                    inferred=True)
    return _Pin("confines", f"confined by {label}")


def _evaluate_source_ip(clause: ConditionClause, texts: list[str], literal_variables: bool) -> _Pin:
    networks: list[IpNetwork] = []
    for text in texts:
        if not _is_fixed(text, literal_variables):
            return _Pin("no", f"aws:SourceIp {text} does not confine: not a fixed value")
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            return _Pin("no", f"aws:SourceIp {text!r} is not an address range (treated as public)")
        # AWS excepts RFC 1918 ranges from the width test, but each of them is a /8 or narrower, so no
        # range broader than /8 lies inside one: every range broader than /8 (IPv4) or /32 (IPv6) is
        # public, reserved, unique-local and link-local space included.
        if network.prefixlen < (8 if network.version == 4 else 32):
            limit = "/8" if network.version == 4 else "/32"
            return _Pin("no", f"aws:SourceIp {network} is broader than {limit}: AWS treats it as public")
        networks.append(network)
    shown = ", ".join(str(n) for n in networks)
    return _Pin("confines", f"confined by IpAddress aws:SourceIp {shown}", networks=tuple(networks))


def _evaluate_access_point_arn(clause: ConditionClause, texts: list[str], context: str,
                               literal_variables: bool) -> _Pin:
    label = clause.describe()
    for text in texts:
        if _is_fixed(text, literal_variables):
            continue
        filled = _fill_fixed_placeholders(text)
        match = _ACCESS_POINT_ARN.match(filled)
        if context == "access_point" or match is None or not literal_variables and "${" in filled:
            where = "an access point policy" if context == "access_point" else "the account id"
            return _Pin("no", f"{label} does not confine: wildcard in {where}")
    return _Pin("confines", f"confined by {label}")


# ---------------------------------------------------------------------------- address spaces

# Address space that is not reachable from the public internet (RFC 1918, RFC 6598 shared
# address space, loopback, link-local, documentation, benchmarking, multicast, reserved).
_NON_PUBLIC_V4 = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"))


def public_ipv4_pieces(network: ipaddress.IPv4Network) -> list[ipaddress.IPv4Network]:
    """The publicly routable parts of an IPv4 network, as maximal prefixes."""
    pieces = [network]
    for private in _NON_PUBLIC_V4:
        next_pieces: list[ipaddress.IPv4Network] = []
        for piece in pieces:
            if piece.subnet_of(private):
                continue
            if private.subnet_of(piece):
                next_pieces.extend(piece.address_exclude(private))
            else:
                next_pieces.append(piece)
        pieces = next_pieces
    return list(ipaddress.collapse_addresses(pieces))


def _broad_ip_reasons(networks: Iterable[IpNetwork], options: PolicyOptions) -> list[str]:
    """Why a set of aws:SourceIp ranges is too broad for the gate (empty list: narrow enough)."""
    reasons: list[str] = []
    v4_public: list[ipaddress.IPv4Network] = []
    for network in networks:
        if isinstance(network, ipaddress.IPv4Network):
            pieces = public_ipv4_pieces(network)
            v4_public.extend(pieces)
            count = sum(p.num_addresses for p in pieces)
            if any(p.prefixlen < options.min_ipv4_prefix for p in pieces):
                reasons.append(f"aws:SourceIp {network} pins {count:,} public addresses "
                               f"(a public prefix shorter than /{options.min_ipv4_prefix})")
        elif not network.is_private and network.prefixlen < options.min_ipv6_prefix:
            reasons.append(f"aws:SourceIp {network} is a public IPv6 prefix shorter than /{options.min_ipv6_prefix}")
    total = sum(n.num_addresses for n in ipaddress.collapse_addresses(v4_public))
    if not reasons and total > options.max_public_addresses:
        reasons.append(f"aws:SourceIp ranges together pin {total:,} public addresses "
                       f"(more than {options.max_public_addresses:,})")
    return reasons


# --------------------------------------------------------------------------- statement verdicts


@dataclass(frozen=True, slots=True)
class _PublicTest:
    public: bool | None
    broad: bool | None
    reasons: tuple[str, ...]


def _public_test(principal_class: str, principal_reasons: list[str], clauses: Iterable[ConditionClause],
                 context: str, literal_variables: bool, options: PolicyOptions) -> _PublicTest:
    pins = [(clause, _evaluate_clause(clause, context, literal_variables)) for clause in clauses]
    confining = [(c, p) for c, p in pins if p.verdict == "confines"]
    maybe = [p for _, p in pins if p.verdict == "maybe"]
    reasons = list(principal_reasons)
    if principal_class in ("account", "service", "none"):
        return _PublicTest(False, False, tuple(reasons))
    if confining:
        reasons.extend(p.reason for _, p in confining)
        ip_only = all(c.key == "aws:sourceip" for c, _ in confining)
        broad: bool | None = False
        if ip_only:
            per_clause = [_broad_ip_reasons(p.networks, options) for _, p in confining]
            if all(per_clause):
                broad = None if maybe else True
                reasons.extend(r for rs in per_clause for r in rs)
                if maybe:
                    reasons.extend(p.reason for p in maybe)
        return _PublicTest(False, broad, tuple(reasons))
    if maybe:
        reasons.extend(p.reason for p in maybe)
        return _PublicTest(None, False, tuple(reasons))
    if principal_class == "unknown":
        return _PublicTest(None, False, tuple(reasons))
    not_confining = [p.reason for _, p in pins]
    if not not_confining:
        reasons[0] = f"{reasons[0]} with no condition"
    reasons.extend(not_confining)
    return _PublicTest(True, False, tuple(reasons))


# ------------------------------------------------------------------- statements analysed once

def _raw_key(value: Any) -> Any:
    """A hashable key that tells apart every two raw values the analysis can tell apart. The leaves'
    own equality is not enough: an Unknown compares by its reason alone (its shape and the resources
    it derives from change how a principal or condition value is read), an Unresolved leaves out
    its reason, and ``True == 1`` and ``0.0 == -0.0`` while their texts differ."""
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return ("Unknown", value.reason, value.shape, value.derived_from)
    if isinstance(value, Unresolved):
        return ("Unresolved", value.expr, value.reason, tuple(_raw_key(a) for a in value.alternatives))
    if isinstance(value, dict):
        return ("dict", tuple((_raw_key(k), _raw_key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_raw_key(v) for v in value))
    return (type(value).__name__, repr(value))


def _entries_key(entries: tuple[PrincipalEntry, ...] | None) -> Any:
    return None if entries is None else tuple((e.kind, _raw_key(e.value)) for e in entries)


def _clause_key(clause: ConditionClause) -> tuple[Any, ...]:
    return (clause.operator, clause.base, clause.qualifier, clause.if_exists, clause.key, clause.key_as_written,
            _raw_key(clause.values), _raw_key(clause.opaque))


def _statement_key(statement: Statement) -> tuple[Any, ...]:
    """Everything :func:`_analyse_statement` reads from a statement: all of it but its resources."""
    return (statement.index, statement.sid, statement.effect, _entries_key(statement.principals),
            _entries_key(statement.not_principals), _raw_key(statement.actions), _raw_key(statement.not_actions),
            tuple(_clause_key(c) for c in statement.conditions), _raw_key(statement.opaque))


class _CanonicalStatement:
    """A statement that hashes and compares by :func:`_statement_key`, to look its analysis up."""

    __slots__ = ("hash", "key", "statement")

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self.key = _statement_key(statement)
        self.hash = hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _CanonicalStatement) and self.key == other.key

    def __hash__(self) -> int:
        return self.hash


@functools.lru_cache(maxsize=4096)
def _analysed(canonical: _CanonicalStatement, context: str, literal_variables: bool,
              options: PolicyOptions) -> StatementAnalysis:
    return _analyse_statement_afresh(canonical.statement, context, literal_variables, options)


def _analyse_statement(statement: Statement, context: str, literal_variables: bool,
                       options: PolicyOptions) -> StatementAnalysis:
    """The analysis of one statement, computed once per distinct statement (all but its resources),
    context, policy language version and options: policies repeat the same statements over many
    buckets (a TLS-only Deny, a CloudFront read grant), and the analysis is a pure function of them."""
    return _analysed(_CanonicalStatement(statement), context, literal_variables, options)


def _analyse_statement_afresh(statement: Statement, context: str, literal_variables: bool,
                              options: PolicyOptions) -> StatementAnalysis:
    if statement.opaque is not None:
        reason = f"{statement.label} is {_opaque_text(statement.opaque)}"
        return StatementAnalysis(statement.index, statement.sid, None, "unknown", None, None, None, None,
                                 frozenset(), False, None, None, False, False, (reason,))
    actions, complete = granted_actions(statement)
    every = _covers_every_action(statement)
    access = access_kinds(actions, every)
    all_actions: bool | None = (
        any(isinstance(a, str) and a.strip().lower() in _ALL_ACTION_PATTERNS for a in statement.actions)
        if statement.actions is not None else False)
    if not all_actions and statement.actions is not None and any(is_opaque(a) for a in statement.actions):
        all_actions = None
    principal_class, any_principal, not_principal, principal_reasons = _statement_principal(
        statement, literal_variables)
    is_deny = statement.effect == "Deny"
    if is_deny:
        return StatementAnalysis(statement.index, statement.sid, "Deny", principal_class, False, False, False,
                                 False, access, complete, all_actions, any_principal, not_principal,
                                 statement.not_actions is not None, tuple(principal_reasons))
    test = _public_test(principal_class, principal_reasons, statement.conditions, context,
                        literal_variables, options)
    public, reasons = test.public, list(test.reasons)
    if statement.effect is None and public:
        public = None
        reasons.append(f"{statement.label} has an Effect the gate cannot see")
    if public is not False and access:
        reasons.append(_grant_text(statement, access))
    return StatementAnalysis(statement.index, statement.sid, statement.effect, principal_class, public, public,
                             test.broad, test.broad, access, complete, all_actions, any_principal,
                             not_principal, statement.not_actions is not None, tuple(reasons))


def _grant_text(statement: Statement, access: frozenset[str]) -> str:
    kinds = ", ".join(k for k in (*ACCESS_KINDS, "all") if k in access)
    if statement.actions is not None:
        written = ", ".join(_show_plain(a) for a in statement.actions)
        return f"grants {written} ({kinds})"
    excluded = ", ".join(_show_plain(a) for a in statement.not_actions or ())
    return f"grants every action except {excluded} ({kinds})"


def _show_plain(value: Any) -> str:
    return _opaque_text(value) if is_opaque(value) else str(value)


# ------------------------------------------------------------------------------- Deny narrowing


def _deny_applies_to_everyone(deny: Statement) -> bool:
    if deny.not_principals is not None:
        return True  # everyone except fixed principals is denied
    return deny.principals is not None and any(
        e.kind == "*" or (e.kind == "AWS" and e.value == "*") for e in deny.principals)


def _deny_covers_actions(deny: Statement, allow: Statement) -> bool:
    allowed, _ = granted_actions(allow)
    denied, _ = granted_actions(deny)
    if not allowed <= denied:
        return False
    if _covers_every_action(allow) is not False or allow.not_actions is not None:
        return _covers_every_action(deny) is True
    if allow.actions is not None and any(is_opaque(a) for a in allow.actions):
        return _covers_every_action(deny) is True
    return True


def _deny_covers_resources(deny: Statement, allow: Statement) -> bool | None:
    """True / False, or None when opaque resources keep the gate from comparing."""
    if deny.not_resources is not None or deny.resources is None:
        return False
    if any(isinstance(r, str) and r.strip() == "*" for r in deny.resources):
        return True
    if allow.resources is None:
        return False
    undecided = False
    for resource in allow.resources:
        if resource in deny.resources:
            continue
        if is_opaque(resource):
            undecided = True
            continue
        if any(isinstance(p, str) and glob_match(p, str(resource), case_sensitive=True) for p in deny.resources):
            continue
        if any(is_opaque(p) for p in deny.resources):
            undecided = True
            continue
        return False
    return None if undecided else True


_OPERATOR_NAMES = {"stringequals": "StringEquals", "stringequalsignorecase": "StringEqualsIgnoreCase",
                   "stringlike": "StringLike", "arnequals": "ArnEquals", "arnlike": "ArnLike",
                   "ipaddress": "IpAddress"}
DENY_EVERYTHING = "deny-everything"


def _closing_clauses(deny: Statement) -> tuple[ConditionClause, ...] | str | None:
    """The positive pins a Deny adds to every Allow it covers; :data:`DENY_EVERYTHING` for an
    unconditional Deny; None if its condition is not the exact negation of a confining pin."""
    if not deny.conditions:
        return DENY_EVERYTHING
    if len(deny.conditions) != 1:
        return None
    clause = deny.conditions[0]
    if clause.opaque is not None or clause.qualifier is not None or clause.base not in _NEGATION_OF:
        return None
    if clause.key not in _CONFINING_KEYS and clause.key not in _INFERRED_KEYS:
        return None
    positive = _NEGATION_OF[clause.base]
    return (ConditionClause(_OPERATOR_NAMES[positive], positive, None, False, clause.key,
                            clause.key_as_written, clause.values),)


def _apply_denies(document: PolicyDocument, statements: list[StatementAnalysis], context: str,
                  options: PolicyOptions) -> list[StatementAnalysis]:
    denies = [s for s in document.statements if s.effect == "Deny" and s.opaque is None
              and _deny_applies_to_everyone(s)]
    if not denies:
        return statements
    out: list[StatementAnalysis] = []
    for analysis, statement in zip(statements, document.statements):
        if analysis.effect == "Deny" or not (analysis.public is not False or analysis.broad_source_ip):
            out.append(analysis)
            continue
        extra: list[ConditionClause] = []
        closers: list[int] = []
        undecided: list[str] = []
        for deny in denies:
            clauses = _closing_clauses(deny)
            if clauses is None or not _deny_covers_actions(deny, statement):
                continue
            covers = _deny_covers_resources(deny, statement)
            if covers is False:
                continue
            if covers is None:
                undecided.append(f"{deny_label(deny)} may narrow it (resources known only after apply)")
                continue
            if clauses == DENY_EVERYTHING:
                denied_by = deny
                break
            extra.extend(clauses)
            closers.append(deny.index)
        else:
            denied_by = None
        if denied_by is not None:
            out.append(_replace(analysis, effective_public=False, effective_broad_source_ip=False,
                                reasons=(*analysis.reasons, f"denied to everyone by {deny_label(denied_by)}"),
                                closed_by=(denied_by.index,)))
            continue
        if not extra and not undecided:
            out.append(analysis)
            continue
        principal_class, _, _, principal_reasons = _statement_principal(statement, document.literal_variables)
        test = _public_test(principal_class, principal_reasons, (*statement.conditions, *extra), context,
                            document.literal_variables, options)
        effective, broad = test.public, test.broad
        reasons = list(analysis.reasons)
        if closers:
            names = ", ".join(deny_label(d) for d in document.statements if d.index in closers)
            if effective is False and analysis.public is not False:
                reasons.append(f"narrowed by {names}: " + "; ".join(r for r in test.reasons if r.startswith("confined")))
            elif effective is None:
                reasons.append(f"{names} may narrow it: " + "; ".join(test.reasons[len(principal_reasons):]))
        if undecided:
            reasons.extend(undecided)
            effective = None if effective else effective
            broad = None if broad else broad
        out.append(_replace(analysis, effective_public=effective, effective_broad_source_ip=broad,
                            reasons=tuple(reasons), closed_by=tuple(closers)))
    return out


def deny_label(statement: Statement) -> str:
    return f"Deny {statement.label}"


def _replace(analysis: StatementAnalysis, **changes: Any) -> StatementAnalysis:
    return dataclasses.replace(analysis, **changes)


# ----------------------------------------------------------------------------- whole document


def _any3(values: Iterable[bool | None]) -> bool | None:
    seen_none = False
    for value in values:
        if value is True:
            return True
        if value is None:
            seen_none = True
    return None if seen_none else False


def analyse_policy(doc: Any, options: PolicyOptions | None = None,
                   context: Context = "bucket") -> PolicyAnalysis:
    """Everything the gate needs to know about one policy document."""
    options = options or PolicyOptions()
    document = doc if isinstance(doc, PolicyDocument) else parse_policy(doc)
    if not document.readable:
        reason = document.opaque_reason or "; ".join(document.problems)
        return PolicyAnalysis(document, context, (), None, None, None, None, None, None, None, None,
                              frozenset(), frozenset(), frozenset(), document.problems, reason)
    statements = [_analyse_statement(s, context, document.literal_variables, options)
                  for s in document.statements]
    statements = _apply_denies(document, statements, context, options)
    allows = [s for s in statements if s.effect != "Deny"]

    def union(select: Any) -> frozenset[str]:
        return frozenset(k for s in allows if select(s) for k in s.access)

    return PolicyAnalysis(
        document=document,
        context=context,
        statements=tuple(statements),
        aws_public=_any3(s.public for s in allows),
        effective_public=_any3(s.effective_public for s in allows),
        any_principal=_any3(s.any_principal for s in allows),
        all_actions=_any3(s.all_actions for s in allows),
        allow_not_principal=any(s.not_principal for s in allows),
        allow_not_action=any(s.not_action for s in allows),
        broad_source_ip=_any3(s.effective_broad_source_ip for s in allows),
        denies_insecure_transport=denies_insecure_transport(document),
        public_access=union(lambda s: s.effective_public is True),
        aws_public_access=union(lambda s: s.public is True),
        broad_access=union(lambda s: s.effective_broad_source_ip is True),
        problems=document.problems,
    )


# ------------------------------------------------------------------------------ TLS-only deny

_BUCKET_ONLY_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::[^/*?]+$", re.IGNORECASE)


def denies_insecure_transport(doc: Any) -> bool | None:
    """Does a Deny for everyone refuse requests made without TLS?

    The Deny must apply to all principals, be conditioned only on ``Bool aws:SecureTransport
    false`` (``BoolIfExists`` too) or ``NumericLessThan s3:TlsVersion``, cover every S3 action
    (``s3:*`` / ``*``) or at least both ``s3:GetObject`` and ``s3:PutObject``, and not be limited
    to the bucket ARN alone (objects must be covered). ``None`` when an opaque part keeps the
    gate from telling."""
    document = doc if isinstance(doc, PolicyDocument) else parse_policy(doc)
    if not document.readable:
        return None
    undecided = False
    for statement in document.statements:
        if statement.opaque is not None:
            undecided = True
            continue
        if statement.effect != "Deny" or not _deny_applies_to_everyone(statement):
            continue
        tls = _tls_condition(statement.conditions)
        if tls is False:
            continue
        actions = _tls_actions_covered(statement)
        resources = _tls_resources_covered(statement)
        verdict = _all3((tls, actions, resources))
        if verdict:
            return True
        if verdict is None:
            undecided = True
    return None if undecided else False


def _tls_condition(clauses: tuple[ConditionClause, ...]) -> bool | None:
    if len(clauses) != 1:
        return False
    clause = clauses[0]
    if clause.opaque is not None:
        return None
    if clause.qualifier is not None or not clause.values:
        return False
    if clause.key == "aws:securetransport" and clause.base == "bool":
        if any(is_opaque(v) for v in clause.values):
            return None
        return all(_value_text(v).lower() == "false" for v in clause.values)
    if clause.key == "s3:tlsversion" and clause.base == "numericlessthan" and not clause.if_exists:
        return None if any(is_opaque(v) for v in clause.values) else True
    return False


def _tls_actions_covered(statement: Statement) -> bool | None:
    every = _covers_every_action(statement)
    if every:
        return True
    granted, complete = granted_actions(statement)
    if {"s3:GetObject", "s3:PutObject"} <= granted:
        return True
    return None if not complete else False


def _tls_resources_covered(statement: Statement) -> bool | None:
    if statement.not_resources is not None:
        return False
    if statement.resources is None:
        return False
    known = [r for r in statement.resources if not is_opaque(r)]
    if len(known) < len(statement.resources):
        return True if any(not _BUCKET_ONLY_ARN.match(str(r)) for r in known) else _opaque_object_resource(
            statement.resources)
    return not all(_BUCKET_ONLY_ARN.match(str(r).strip()) for r in known)


def _opaque_object_resource(resources: tuple[Any, ...]) -> bool | None:
    """An unresolved resource expression that ends in ``/*`` names the bucket's objects; so does an
    ARN known only after deploy whose shape is known (``arn:aws:s3:::${Bucket}/*``)."""
    for r in resources:
        if isinstance(r, Unresolved) and r.expr.rstrip('"').endswith("/*"):
            return True
        if isinstance(r, Unknown) and r.shape is not None and r.shape.strip().strip('"').endswith("/*"):
            return True
    return None


def _all3(values: Iterable[bool | None]) -> bool | None:
    seen_none = False
    for value in values:
        if value is False:
            return False
        if value is None:
            seen_none = True
    return None if seen_none else True


# --------------------------------------------------------------------------- read reach (IAM)


def s3_read_targets(doc: Any) -> list[str] | None:
    """Resource ARN patterns on which Allow statements grant ``s3:GetObject``; ``None`` when the
    gate cannot tell (opaque document, action or resource). ``NotResource`` yields ``"*"``."""
    document = doc if isinstance(doc, PolicyDocument) else parse_policy(doc)
    if not document.readable:
        return None
    targets: list[str] = []
    for statement in document.statements:
        if statement.opaque is not None:
            return None
        if statement.effect == "Deny":
            continue
        granted, complete = granted_actions(statement)
        if "s3:GetObject" not in granted:
            if not complete:
                return None
            continue
        if statement.not_resources is not None:
            targets.append("*")
            continue
        for resource in statement.resources or ():
            if is_opaque(resource):
                return None
            if str(resource) not in targets:
                targets.append(str(resource))
    return targets


# ------------------------------------------------------------------------------------ helpers


_NO_KEY = object()


def _lowered_keys(mapping: dict[Any, Any]) -> dict[str, Any]:
    """Each key's lower-case spelling -> the first key spelled so (to look several names up in one
    object with one pass over its keys)."""
    lowered: dict[str, Any] = {}
    for key in mapping:
        lowered.setdefault(str(key).lower(), key)
    return lowered


def _get(mapping: dict[str, Any], name: str, lowered: dict[str, Any] | None = None) -> Any:
    """The element ``name``: the key written exactly so, else the first key equal to it in any case."""
    if name in mapping:
        return mapping[name]
    if lowered is not None:
        key = lowered.get(name.lower(), _NO_KEY)
        return None if key is _NO_KEY else mapping[key]
    lowered_name = name.lower()
    for key, value in mapping.items():
        if str(key).lower() == lowered_name:
            return value
    return None


def _as_tuple(raw: Any, *, present: bool) -> tuple[Any, ...] | None:
    if not present:
        return None
    if raw is None:
        return ()
    if isinstance(raw, (list, tuple)):
        return tuple(raw)
    return (raw,)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _show(value: Any) -> str:
    if is_opaque(value):
        return _opaque_text(value)
    if isinstance(value, str):
        return f'"{value}"'
    return _value_text(value)


def _opaque_text(leaf: Any) -> str:
    if isinstance(leaf, Unknown):
        return leaf.reason
    if isinstance(leaf, Unresolved):
        return f"{leaf.expr} ({leaf.reason})"
    return "not visible"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", dict: "an object"}.get(type(value), type(value).__name__)


__all__ = [
    "ACCESS_KINDS", "ConditionClause", "PolicyAnalysis", "PolicyDocument", "PolicyOptions",
    "PrincipalEntry", "REPRESENTATIVE_ACTIONS", "Statement", "StatementAnalysis", "analyse_policy",
    "access_kinds", "denies_insecure_transport", "glob_match", "granted_actions", "parse_policy",
    "public_ipv4_pieces", "s3_read_targets",
]
