"""Redaction of secrets and scrubbing of free text."""
from __future__ import annotations

import base64
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from iacgate.redact import looks_like_secret_key, redact, scrub

# Key-shaped test values are assembled at run time so the repository holds no literal key.
KEY_ID = "AKIA" + "Q3EGRZ7LWN5TXHJB"
SECRET = "ZH6HDV/EolIbS2UTxbLplG" + "pukOdaGmlq9MtAg1Xv"
SHA1 = "3f786850e387550fdab836ed7e6dc881de23001b"
SHA256_B64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
UUID = "9b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d"
ARN = "arn:aws:iam::123456789012:role/service-role/AmazonS3ReadOnlyAccess-Deployer"


def test_redact_keeps_at_most_four_characters_each_end() -> None:
    assert redact(KEY_ID) == "AKIA************XHJB"
    assert redact(SECRET) == SECRET[:4] + "*" * 32 + SECRET[-4:]
    assert redact("hunter2") == "*******"
    assert redact("") == ""


def test_looks_like_secret_key_rejects_hashes_words_and_wrong_lengths() -> None:
    assert looks_like_secret_key(SECRET)
    assert not looks_like_secret_key(SHA1)
    assert not looks_like_secret_key("1234567890" * 4)
    assert not looks_like_secret_key("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMN")
    assert not looks_like_secret_key(SECRET[:-1])
    assert not looks_like_secret_key(SECRET + "A")


def test_scrub_removes_keys_from_mixed_text_and_leaves_the_rest() -> None:
    text = (f"provider.aws access_key = {KEY_ID} secret_key=\"{SECRET}\" in main.tf:3; role {ARN}, "
            f"user data sha1 {SHA1}, hash {SHA256_B64}, request {UUID}, "
            "principal AROAJQABLZS4A3QDU576Q is a role id")
    out = scrub(text)
    assert KEY_ID not in out and SECRET not in out
    assert redact(KEY_ID) in out and redact(SECRET) in out
    for kept in (ARN, SHA1, SHA256_B64, UUID, "AROAJQABLZS4A3QDU576Q", "main.tf:3"):
        assert kept in out


def test_scrub_redacts_values_assigned_to_secret_names_whatever_their_shape() -> None:
    odd = "k7Qw9ZtR2xLm4VbN8sPd6FgH1jKl3Cv"  # 31 characters: not a key shape
    out = scrub(f"export AWS_SECRET_ACCESS_KEY={odd}\naws_session_token: '{odd}{odd}'")
    assert odd not in out
    assert "AWS_SECRET_ACCESS_KEY=" in out and "aws_session_token: '" in out


def test_scrub_is_idempotent_and_accepts_empty_text() -> None:
    once = scrub(f"{KEY_ID} {SECRET}")
    assert scrub(once) == once
    assert scrub("") == ""
    assert scrub("nothing secret here: bucket-logs-2024") == "nothing secret here: bucket-logs-2024"


_PREFIXES = st.sampled_from(["AKIA", "ASIA", "ABIA", "ACCA"])
_KEY_BODY = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=16, max_size=16)
key_ids = st.builds(lambda p, b: p + b, _PREFIXES, _KEY_BODY)
# Real secret access keys are 30 random bytes in base64.
secrets = st.binary(min_size=30, max_size=30).map(lambda b: base64.b64encode(b).decode()).filter(
    looks_like_secret_key)
words = st.text(alphabet=string.ascii_letters + string.digits + "-_.:/", max_size=12)
separators = st.sampled_from([" ", "\n", "=", ": ", "\"", "'", ", ", "(", ")", " = \"", "\t"])


@settings(max_examples=200, deadline=None)
@given(key_ids, secrets, st.lists(words, max_size=6), separators, separators)
def test_scrub_output_never_contains_a_generated_key(key_id: str, secret: str, filler: list[str],
                                                     left: str, right: str) -> None:
    text = (" ".join(filler) + left + key_id + right + " ".join(reversed(filler))
            + left + secret + right + "end")
    out = scrub(text)
    assert key_id not in out
    assert secret not in out


def test_scrub_redacts_the_shortest_shapes_and_leaves_text_without_a_long_run() -> None:
    sixteen = "k7Qw9ZtR2xLm4Vb="  # the shortest value scrub redacts after a secret-bearing name
    assert len(sixteen) == 16
    assert sixteen not in scrub(f"the pipeline sets secret_key: {sixteen} for the job")
    assert KEY_ID not in scrub(f"-{KEY_ID}-")
    assert SECRET not in scrub(f"({SECRET})")
    # runs of 15 allowed characters at most: nothing to redact, the text comes back as it is
    plain = "aws_secret_access_key = k7Qw9ZtR2xLm4Vb-" + "x" * 5 + "-" + "ABCDEFGHIJKLMNO" + " end"
    assert scrub(plain) == plain


@settings(max_examples=500, deadline=None)
@given(st.text(), st.text(), st.text())
def test_a_finding_fingerprint_holds_nothing_scrub_would_remove(rule_id: str, address: str, what: str) -> None:
    """The JSON report writes fingerprints without scrubbing them: no lower-case hex digest can hold
    a key id, a secret or a secret assignment, keys planted in what it digests included."""
    from iacgate.findings import Finding

    planted = Finding(rule_id=rule_id + "AKIAIOSFODNN7EXAMPLE", concept="c", severity="high", status="fail",
                      title="t", message="m", address=address, resource_type="r", source_kind="terraform",
                      location=None, what=what)  # type: ignore[arg-type]
    assert scrub(planted.fingerprint) == planted.fingerprint


RUN_ALPHABET = string.ascii_letters + string.digits + "/+="


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet=RUN_ALPHABET, min_size=1, max_size=24),
                          st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=4)),
                max_size=12))
def test_scrub_finds_a_long_run_wherever_the_regular_expression_would(pieces: list[str]) -> None:
    """Text without 16 characters of the secret alphabet in a row is left alone after one check; that
    check agrees with the regular expression it stands for on any text (other scripts, lone
    surrogates and characters whose UTF-8 bytes look like nothing in particular included)."""
    import re

    from iacgate.redact import _has_redactable_run

    text = "".join(pieces)
    assert _has_redactable_run(text) == bool(re.search(r"[A-Za-z0-9/+=]{16}", text))
