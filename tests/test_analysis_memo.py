"""The analysis stage's shortcuts give exactly the answers of the full computation: a statement's
analysis is remembered per everything it depends on (two statements differing in one part get
different answers), action lists are matched once per list and direction, the credential scan's
cheap tests skip nothing the regular expressions would find, the Kleene junctions' fast paths agree
with merging everything, and the collector is left as it was found."""
from __future__ import annotations

import gc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iacgate.analysis import credentials, iam_policy, s3_exposure
from iacgate.analysis.iam_policy import PolicyOptions
from iacgate.analysis.s3_exposure import Verdict, all_of, any_of
from iacgate.raw import RawResource
from iacgate.values import Source, Unknown, Unresolved

# ------------------------------------------------------------------------ statement analysis memo


def _statement(principal: Any, condition: dict[str, Any] | None = None, sid: str = "Read",
               version: str = "2012-10-17") -> iam_policy.Statement:
    raw: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                           "Resource": "arn:aws:s3:::acme-data/*"}
    if condition is not None:
        raw["Condition"] = condition
    return iam_policy.parse_policy({"Version": version, "Statement": [raw]}).statements[0]


_DEFAULTS = PolicyOptions()


def _both_ways(statement: iam_policy.Statement, context: str = "bucket", literal: bool = False,
               options: PolicyOptions = _DEFAULTS) -> iam_policy.StatementAnalysis:
    """The remembered analysis, checked against a fresh one; asked twice so the second is remembered."""
    fresh = iam_policy._analyse_statement_afresh(statement, context, literal, options)
    for _ in range(2):
        assert iam_policy._analyse_statement(statement, context, literal, options) == fresh
    return fresh


_ROLE_ARN = "aws_iam_role.reader.arn is known only after apply"
_ACCOUNT_ROOT = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"
_ACCESS_POINTS = {"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-east-1:111122223333:accesspoint/*"}}


def test_unknown_principals_equal_by_reason_but_differing_in_what_they_derive_from_are_kept_apart() -> None:
    # Unknown compares by its reason alone; the resources a plan says it derives from decide the class.
    anyone = _both_ways(_statement({"AWS": Unknown("known only after apply")}))
    role = _both_ways(_statement({"AWS": Unknown("known only after apply", derived_from=("aws_iam_role.reader",))}))
    assert (anyone.principal_class, anyone.public) == ("unknown", None)
    assert (role.principal_class, role.public) == ("account", False)


def test_unknown_principals_differing_only_in_their_shape_are_kept_apart() -> None:
    anything = _both_ways(_statement({"AWS": Unknown("var.principal is known only after apply")}))
    account = _both_ways(_statement({"AWS": Unknown("var.principal is known only after apply", shape=_ACCOUNT_ROOT)}))
    assert anything.public is None
    assert account.public is False and account.reasons == (f"principal {_ACCOUNT_ROOT}",)


def test_unresolved_condition_values_differing_only_in_their_reason_are_kept_apart() -> None:
    # Unresolved compares by expression and alternatives; its reason is part of the verdict's text.
    first = _both_ways(_statement("*", {"StringEquals": {"aws:SourceAccount": [
        Unresolved("var.account", "a variable without a value")]}}))
    second = _both_ways(_statement("*", {"StringEquals": {"aws:SourceAccount": [
        Unresolved("var.account", "a variable set by the caller")]}}))
    assert "a variable without a value" in first.reasons[1]
    assert "a variable set by the caller" in second.reasons[1]


def test_condition_values_equal_in_python_but_written_differently_are_kept_apart() -> None:
    as_bool = _both_ways(_statement("*", {"StringEquals": {"aws:SourceAccount": [True]}}))
    as_number = _both_ways(_statement("*", {"StringEquals": {"aws:SourceAccount": [1]}}))
    assert as_bool.reasons[-1] == "confined by StringEquals aws:SourceAccount true"
    assert as_number.reasons[-1] == "confined by StringEquals aws:SourceAccount 1"


def test_the_same_statement_in_another_context_language_version_or_options_is_analysed_again() -> None:
    assert _both_ways(_statement("*", _ACCESS_POINTS), context="bucket").public is False
    assert _both_ways(_statement("*", _ACCESS_POINTS), context="access_point").public is True

    per_user = _statement({"AWS": "arn:aws:iam::111122223333:user/${aws:username}"})
    assert _both_ways(per_user, literal=False).principal_class == "public"
    assert _both_ways(per_user, literal=True).principal_class == "account"

    wide = _statement("*", {"IpAddress": {"aws:SourceIp": "52.0.0.0/12"}})
    assert _both_ways(wide).broad_source_ip is True
    assert _both_ways(wide, options=PolicyOptions(min_ipv4_prefix=8, max_public_addresses=2 ** 32)
                      ).broad_source_ip is False


def test_statements_differing_only_in_their_sid_keep_their_own_labels() -> None:
    first = _both_ways(_statement("*", sid="PublicRead"))
    second = _both_ways(_statement("*", sid="Website"))
    assert (first.label, second.label) == ("statement 'PublicRead'", "statement 'Website'")


def test_policies_repeating_a_statement_over_different_buckets_keep_their_resources() -> None:
    def policy(bucket: str) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [f"arn:aws:s3:::{bucket}"] if bucket == "acme-logs" else
             [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}

    objects_covered = iam_policy.analyse_policy(policy("acme-data"))
    bucket_only = iam_policy.analyse_policy(policy("acme-logs"))
    assert objects_covered.denies_insecure_transport is True
    assert bucket_only.denies_insecure_transport is False
    assert objects_covered.document.statements[0].resources != bucket_only.document.statements[0].resources


def test_action_lists_are_matched_once_per_list_and_direction() -> None:
    granted = iam_policy._matched_actions(("s3:Get*",), False)
    left_over = iam_policy._matched_actions(("s3:Get*",), True)
    assert "s3:GetObject" in granted and "s3:GetObject" not in left_over
    assert granted | left_over == frozenset(iam_policy._ALL_REPRESENTATIVE) and not granted & left_over
    assert iam_policy._matched_actions(("s3:Get*",), False) is granted  # remembered


def test_element_lookup_prefers_the_exact_spelling_then_the_first_in_any_case() -> None:
    raw = {"action": "s3:PutObject", "Action": "s3:GetObject", "RESOURCE": "a", "resource": "b"}
    lowered = iam_policy._lowered_keys(raw)
    for name in ("Action", "action", "Resource", "resource", "Sid"):
        assert iam_policy._get(raw, name, lowered) == iam_policy._get(raw, name)
    assert iam_policy._get(raw, "Resource", lowered) == "a"


# ------------------------------------------------------------------------------- credential scan


def _raw(attrs: dict[str, Any]) -> RawResource:
    return RawResource(address="aws_instance.web", type="aws_instance", name="web", source_kind="terraform",
                       file="main.tf", line=1, end_line=30, attrs=attrs, mode="managed")


def _found(attrs: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(h.path, h.type, h.form, h.encoding) for h in credentials.find_credentials([_raw(attrs)])]


_PIECES = ["AKIA", "ASIA", "A3T", "ABCDEFGHIJKLMNOP", "QRST2345", "aws_", "AWS_", "aws", "configure set ",
           "aws_secret_access_key", "AWS_ACCESS_KEY_ID", "=", " ", ":", ".", "-", "_", "/", "+", "ſ",
           ".aws/credentials", "> ~", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "QUtJQUFCQ0RFRkdISUpLTE1OT1A=",
           '{"aws_session_token": "', '"}', "${var.x}", "arn:aws:s3:::bucket"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=7).map("".join)
_NAMES = st.sampled_from(["user_data", "secret_key", "AWS_SECRET_ACCESS_KEY", "token", "dest", "value", "name",
                          "environment", "command"])
_TREE = st.recursive(
    st.one_of(_TEXT, st.integers(), st.none(), st.builds(Unresolved, _TEXT), st.builds(Unknown, _TEXT)),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(_NAMES, children, max_size=3)),
    max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_NAMES, _TREE, max_size=4))
def test_cheap_tests_skip_nothing_the_regular_expressions_find(attrs: dict[str, Any]) -> None:
    quick = _found(attrs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credentials, "_may_hold_key_id", lambda text: True)
        patch.setattr(credentials, "_may_assign", lambda text: True)
        patch.setattr(credentials, "_may_be_base64", lambda text: True)
        patch.setattr(credentials, "_SHORTEST_UNNAMED_HIT", 0)
        assert _found(attrs) == quick


@settings(max_examples=300, deadline=None)
@given(_TREE, _NAMES)
def test_scanned_leaves_are_the_walked_leaves_the_scan_reads_in_the_same_order(tree: Any, name: str) -> None:
    walked = [(path, leaf_name, leaf) for path, leaf_name, leaf in credentials._walk(tree, "attrs", name)
              if isinstance(leaf, Unresolved)
              or isinstance(leaf, str) and credentials._may_hold_credential(leaf, leaf_name)]
    assert credentials._scanned_leaves(tree, "attrs", name) == walked


def test_an_assignment_spelled_with_a_letter_that_folds_to_ascii_is_still_read() -> None:
    # Case-insensitive matching folds the long s (U+017F) to 's': text outside ASCII skips the cheap test.
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert ("user_data", "secret_access_key", "key", "plain") in _found(
        {"user_data": f"export AWſ_SECRET_ACCESS_KEY={secret}"})


def test_name_meaning_is_computed_once_per_name_and_kept_apart() -> None:
    assert credentials._name_says("AWS_SECRET_ACCESS_KEY").env_type == credentials.SECRET_ACCESS_KEY
    assert credentials._name_says("aws_session_token").env_type == credentials.SESSION_TOKEN
    assert credentials._name_says("secret_key").secret and not credentials._name_says("secret_key").token
    assert credentials._name_says("dest").destination and not credentials._name_says("description").destination


# ---------------------------------------------------------------------------------- junctions


def _reference_any_of(options: list[Verdict], none_reason: str = "") -> Verdict:
    def merged(verdicts: list[Verdict]) -> tuple[Source, ...]:
        return tuple(dict.fromkeys(s for v in verdicts for s in v.sources))

    def joined(verdicts: list[Verdict]) -> str:
        return "; ".join(dict.fromkeys(v.reason for v in verdicts if v.reason))

    true = [o for o in options if o.value is True]
    if true:
        return Verdict(True, joined(true), merged(true))
    unknown = [o for o in options if o.value is None]
    if unknown:
        return Verdict(None, joined(unknown), merged(unknown))
    return Verdict(False, joined(options) or none_reason, merged(options))


def _reference_all_of(factors: list[Verdict]) -> Verdict:
    for factor in factors:
        if factor.value is False:
            return Verdict(False, factor.reason, factor.sources)
    unknown = [f for f in factors if f.value is None]
    merged = tuple(dict.fromkeys(s for v in factors for s in v.sources))
    if unknown:
        return Verdict(None, "; ".join(dict.fromkeys(f.reason for f in unknown if f.reason)), merged)
    return Verdict(True, "; ".join(dict.fromkeys(f.reason for f in factors if f.reason)), merged)


_SOURCES = [Source("main.tf", 1, 4, "aws_s3_bucket.a"), Source("main.tf", 6, 9, "aws_s3_bucket_acl.a"),
            Source("main.tf", 1, 4, "aws_s3_bucket.a")]  # the last equals the first, as another object
_SHARED = (_SOURCES[0], _SOURCES[1])
_SOURCE_TUPLES = st.one_of(st.just(()), st.just(_SHARED), st.lists(st.sampled_from(_SOURCES), max_size=3).map(tuple))
_VERDICTS = st.builds(Verdict, st.sampled_from([True, False, None]),
                      st.sampled_from(["", "a grants AllUsers READ", "b sets block_public_acls = true"]),
                      _SOURCE_TUPLES)


@settings(max_examples=500, deadline=None)
@given(st.lists(_VERDICTS, max_size=11), st.sampled_from(["", "nothing is declared"]))
def test_junction_fast_paths_agree_with_merging_everything(verdicts: list[Verdict], none_reason: str) -> None:
    assert any_of(verdicts, none_reason) == _reference_any_of(verdicts, none_reason)
    assert all_of(verdicts) == _reference_all_of(verdicts)


def test_no_policy_facts_are_shared_and_equal_to_computing_them() -> None:
    fresh = s3_exposure._policy_facts(())
    assert fresh == s3_exposure._NO_POLICY_FACTS
    for verdict in s3_exposure._NO_POLICY_FACTS.values():
        assert s3_exposure._NO_POLICY_VALUES[id(verdict)] == verdict.to_value()


# ---------------------------------------------------------------------------------- collector


@pytest.mark.parametrize("enabled", [True, False])
def test_the_scans_leave_the_collector_as_they_found_it(enabled: bool) -> None:
    from iacgate.facts import bucket_subjects

    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        credentials.find_credentials([_raw({"user_data": "export AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP"})])
        assert gc.isenabled() is enabled
        bucket_subjects([], lambda bucket: {})
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
