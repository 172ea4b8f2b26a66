"""Never print a secret: shorten credential values and scrub free text before it leaves the gate.

The shapes recognised here are shared with :mod:`iacgate.analysis.credentials`, so whatever the
gate can detect as key material it can also remove from its own messages.
"""
from __future__ import annotations

import functools
import re

# Prefixes of AWS access key ids that come with a secret (AKIA long-lived, ASIA temporary, ABIA STS
# bearer token, ACCA context-specific credential, A3T legacy). Other documented prefixes (AIDA user,
# AROA role, AGPA group, ANPA/ANVA policy, AIPA instance profile, APKA CloudFront public key, ASCA
# certificate) are unique identifiers that appear in policies and are not secrets.
SECRET_KEY_ID_PREFIXES: tuple[str, ...] = ("AKIA", "ASIA", "ABIA", "ACCA", "A3T")

KEY_ID_RE = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])")
SECRET_CANDIDATE_RE = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])")
SESSION_TOKEN_MIN_LENGTH = 100

_HEX = re.compile(r"^[0-9a-fA-F]+$")
# A value written after a secret-bearing name in a script or config text: `aws_secret_access_key = v`,
# `AWS_SESSION_TOKEN=v`, `"SecretAccessKey": "v"`.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)(?<![A-Za-z0-9_$])((?:aws_)?(?:secret_access_key|secret_key|session_token|security_token)"
    r"|secretaccesskey|secretkey|sessiontoken)(['\"]?\s*[:=]\s*['\"]?)([A-Za-z0-9/+=]{16,})")


def redact(secret: str) -> str:
    """At most the first four and last four characters: ``AKIA************WXYZ``."""
    if len(secret) <= 12:
        return "*" * len(secret)
    return secret[:4] + "*" * (len(secret) - 8) + secret[-4:]


def looks_like_secret_key(token: str) -> bool:
    """A 40-character run of the secret access key alphabet that mixes upper case, lower case and
    digits (or ``/`` ``+``). Hex digests (SHA1 is 40 hex characters) and one-case words are not."""
    if len(token) != 40 or not SECRET_CANDIDATE_RE.fullmatch(token) or _HEX.match(token):
        return False
    return (any(c.islower() for c in token) and any(c.isupper() for c in token)
            and any(c.isdigit() or c in "/+" for c in token))


# No shape scrub() removes is shorter than this: a key id is 20 characters, a secret 40, and an
# assignment at least a 9-character name, a separator and a 16-character value.
SHORTEST_REDACTED = 20


def scrub(text: str) -> str:
    """Redact anything in free text that looks like an AWS key id, a secret access key or a value
    assigned to a secret-bearing name; leave ARNs, hashes, UUIDs and ordinary words alone."""
    if not text or len(text) < SHORTEST_REDACTED:
        return text
    return _scrub_text(text)


# Every shape scrub() removes holds a run of at least 16 of these characters (a key id 20, a secret
# 40, an assigned value 16): text without one is left as it is after a single search.
_RUN_CHARACTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=")
# The UTF-8 bytes of a text with each of those characters made "a" and every other byte a space: a
# run is then a substring search (the regular expression [A-Za-z0-9/+=]{16} would try to match at
# every position; this is several times faster, and reports scrub thousands of messages). Every
# other character's UTF-8 bytes are 0x80 or above, so they never take part in a run.
_RUN_BYTES = bytes(ord("a") if byte in _RUN_CHARACTERS else ord(" ") for byte in range(256))
_RUN = b"a" * 16


def _has_redactable_run(text: str) -> bool:
    return _RUN in text.encode("utf-8", "surrogatepass").translate(_RUN_BYTES)


@functools.lru_cache(maxsize=16384)
def _scrub_text(text: str) -> str:
    """:func:`scrub` of a string long enough to hold a secret; reports repeat their paths,
    addresses and messages, so each distinct string is scrubbed once."""
    if not _has_redactable_run(text):
        return text
    text = _SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + m.group(2) + redact(m.group(3)), text)
    text = KEY_ID_RE.sub(lambda m: redact(m.group(0)), text)
    return SECRET_CANDIDATE_RE.sub(
        lambda m: redact(m.group(0)) if looks_like_secret_key(m.group(0)) else m.group(0), text)
