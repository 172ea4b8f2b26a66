"""The condition language: operators, parameters and three-valued (Kleene) logic."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iacgate.rules.conditions import (ConditionError, Truth, compile_collecting,
                                      compile_condition, to_data)
from iacgate.values import Source, Unknown, Unresolved, absent, known, unknown, unresolved

T, U, F = Truth.TRUE, Truth.UNKNOWN, Truth.FALSE
POLICY = Source("infra/policy.tf", 4, 19, "aws_s3_bucket_policy.logs", "policy")

# A fact whose value is known true / false, or known only after apply.
LEAF_FACTS = {
    T: known(True, POLICY),
    F: known(False, POLICY),
    U: unknown("policy is computed from module.iam output, known only after apply", POLICY),
}


def leaf(name: str) -> dict:
    return {"fact": name, "is_true": True}


def facts_for(*truths: Truth) -> dict:
    return {f"f{i}": LEAF_FACTS[t] for i, t in enumerate(truths)}


def evaluate(condition: dict, facts: dict, params: dict | None = None) -> Truth:
    compiled = compile_condition(condition)
    fast = compiled.truth(facts, params or {})
    explained, _ = compiled.explain(facts, params or {})
    assert fast is explained
    return fast


# --- Kleene truth tables ------------------------------------------------------------------------

KLEENE_AND = {(T, T): T, (T, U): U, (T, F): F, (U, T): U, (U, U): U, (U, F): F,
              (F, T): F, (F, U): F, (F, F): F}
KLEENE_OR = {(T, T): T, (T, U): T, (T, F): T, (U, T): T, (U, U): U, (U, F): U,
             (F, T): T, (F, U): U, (F, F): F}


@pytest.mark.parametrize("a,b", list(itertools.product([T, U, F], repeat=2)))
def test_all_follows_kleene_and(a: Truth, b: Truth) -> None:
    assert evaluate({"all": [leaf("f0"), leaf("f1")]}, facts_for(a, b)) is KLEENE_AND[a, b]


@pytest.mark.parametrize("a,b", list(itertools.product([T, U, F], repeat=2)))
def test_any_follows_kleene_or(a: Truth, b: Truth) -> None:
    assert evaluate({"any": [leaf("f0"), leaf("f1")]}, facts_for(a, b)) is KLEENE_OR[a, b]


@pytest.mark.parametrize("a,expected", [(T, F), (U, U), (F, T)])
def test_not_follows_kleene(a: Truth, expected: Truth) -> None:
    assert evaluate({"not": leaf("f0")}, facts_for(a)) is expected


truths = st.sampled_from([T, U, F])


def _tree(depth: int) -> st.SearchStrategy:
    leaves = st.integers(min_value=0, max_value=3).map(lambda i: ("leaf", i))
    if depth == 0:
        return leaves
    sub = _tree(depth - 1)
    return st.one_of(leaves, st.tuples(st.just("not"), sub),
                     st.tuples(st.sampled_from(["all", "any"]), st.lists(sub, min_size=1, max_size=3)))


def _to_condition(tree) -> dict:
    if tree[0] == "leaf":
        return leaf(f"f{tree[1]}")
    if tree[0] == "not":
        return {"not": _to_condition(tree[1])}
    return {tree[0]: [_to_condition(t) for t in tree[1]]}


def _reference(tree, values: list[Truth]) -> Truth:
    if tree[0] == "leaf":
        return values[tree[1]]
    if tree[0] == "not":
        return Truth(2 - _reference(tree[1], values))
    results = [_reference(t, values) for t in tree[1]]
    return min(results) if tree[0] == "all" else max(results)


@given(_tree(3), st.lists(truths, min_size=4, max_size=4))
def test_nested_conditions_match_the_kleene_reference(tree, values) -> None:
    assert evaluate(_to_condition(tree), facts_for(*values)) is _reference(tree, values)


def test_unresolved_is_as_opaque_as_unknown() -> None:
    facts = {"f0": unresolved("policy = file(var.path): could not be evaluated", POLICY)}
    assert evaluate(leaf("f0"), facts) is U
    assert evaluate({"fact": "f0", "exists": False}, facts) is U


# --- which comparisons decided the result --------------------------------------------------------

def test_explain_names_every_true_branch_of_a_true_any() -> None:
    facts = {"exposure.via_policy": known(True, POLICY), "exposure.via_acl": known(False),
             "exposure.via_access_point": known(True, Source("ap.tf", 1, 9, "aws_s3_access_point.x"))}
    cond = compile_condition({"any": [leaf("exposure.via_acl"), leaf("exposure.via_policy"),
                                      leaf("exposure.via_access_point")]})
    result, used = cond.explain(facts, {})
    assert result is T
    assert [u.path for u in used] == ["exposure.via_policy", "exposure.via_access_point"]


def test_explain_of_unknown_all_names_only_the_unknown_parts() -> None:
    facts = {"declared": known(True), "versioning.enabled": unknown("status is known only after apply")}
    cond = compile_condition({"all": [leaf("declared"), {"fact": "versioning.enabled",
                                                          "not_equals": True}]})
    result, used = cond.explain(facts, {})
    assert result is U
    assert [u.path for u in used] == ["versioning.enabled"]


# --- operators -------------------------------------------------------------------------------------

@pytest.mark.parametrize("condition,value,expected", [
    ({"equals": "AES256"}, "AES256", T),
    ({"equals": "AES256"}, "aws:kms", F),
    ({"equals": 1}, True, F),                 # booleans are not numbers
    ({"equals": True}, 1, F),
    ({"equals": None}, None, T),
    ({"equals": ["a", "b"]}, ["a", "b"], T),
    ({"not_equals": True}, False, T),
    ({"not_equals": True}, None, T),          # absent is not true
    ({"not_equals": True}, True, F),
    ({"in": ["public-read", "public-read-write"]}, "public-read", T),
    ({"in": ["public-read", "public-read-write"]}, "private", F),
    ({"in": [1, 2]}, True, F),
    ({"not_in": ["private"]}, "authenticated-read", T),
    ({"not_in": ["private"]}, "private", F),
    ({"exists": True}, "AES256", T),
    ({"exists": True}, None, F),
    ({"exists": False}, None, T),
    ({"absent": True}, None, T),
    ({"absent": True}, False, F),             # false is a value, not absence
    ({"absent": False}, "x", T),
    ({"is_true": True}, True, T),
    ({"is_true": True}, "true", F),           # only the boolean
    ({"is_true": False}, False, T),
    ({"is_false": True}, False, T),
    ({"is_false": True}, None, F),
    ({"matches": r"^logs-"}, "logs-prod-1", T),
    ({"matches": r"prod"}, "logs-prod-1", T),  # re.search, not fullmatch
    ({"matches": r"^prod"}, "logs-prod-1", F),
    ({"matches": r"^arn:aws:s3:::"}, ["x", "arn:aws:s3:::data"], T),
    ({"matches": r"."}, None, F),
    ({"contains": "*"}, ["arn:aws:s3:::a", "*"], T),
    ({"contains": "*"}, ["arn:aws:s3:::a"], F),
    ({"contains": "kms"}, "aws:kms", T),
    ({"contains": "kms"}, None, F),
    ({"gt": 1}, 2, T),
    ({"gt": 1}, 1, F),
    ({"gte": 1}, 1, T),
    ({"lt": 2}, 1, T),
    ({"lte": 1}, 2, F),
    ({"gt": 1}, "2", T),                       # numeric strings compare as numbers
    ({"gt": 1}, None, F),                      # absent is not greater than anything
])
def test_operators(condition: dict, value, expected: Truth) -> None:
    fact = known(value) if value is not None else absent()
    assert evaluate({"fact": "x", **condition}, {"x": fact}) is expected


def test_a_fact_the_subject_lacks_is_absent() -> None:
    assert evaluate({"fact": "logging.enabled", "not_equals": True}, {}) is T
    assert evaluate({"fact": "logging.enabled", "exists": True}, {}) is F


def test_numeric_comparison_with_a_non_number_is_unknown_with_a_reason() -> None:
    cond = compile_condition({"fact": "imds.hop_limit", "gt": 1})
    result, used = cond.explain({"imds.hop_limit": known("two")}, {})
    assert result is U
    assert "cannot be compared" in used[0].note


def test_every_comparison_over_an_unknown_fact_is_unknown() -> None:
    facts = {"x": unknown("bucket is known only after apply")}
    for op, operand in [("equals", 1), ("not_equals", 1), ("in", [1]), ("not_in", [1]),
                        ("exists", True), ("absent", True), ("matches", "a"), ("contains", "a"),
                        ("gt", 1), ("gte", 1), ("lt", 1), ("lte", 1), ("is_true", True),
                        ("is_false", True)]:
        assert evaluate({"fact": "x", op: operand}, facts) is U, op


def test_structures_with_opaque_leaves_are_unknown_unless_decided() -> None:
    buckets = known(["arn:aws:s3:::a", Unknown("known only after apply")])
    assert evaluate({"fact": "b", "contains": "arn:aws:s3:::a"}, {"b": buckets}) is T
    assert evaluate({"fact": "b", "contains": "*"}, {"b": buckets}) is U
    assert evaluate({"fact": "b", "equals": ["arn:aws:s3:::a"]}, {"b": buckets}) is U
    leaf_value = known(Unresolved("var.x", "variable has no value"))
    assert evaluate({"fact": "b", "equals": "x"}, {"b": leaf_value}) is U


# --- parameters ------------------------------------------------------------------------------------

def test_parameters_replace_operands() -> None:
    cond = {"fact": "imds.hop_limit", "gt": {"param": "max_hops"}}
    facts = {"imds.hop_limit": known(2)}
    assert evaluate(cond, facts, {"max_hops": 1}) is T
    assert evaluate(cond, facts, {"max_hops": 2}) is F


def test_regex_parameter_is_compiled_at_evaluation() -> None:
    cond = {"fact": "name", "matches": {"param": "pattern"}}
    assert evaluate(cond, {"name": known("tf-state-prod")}, {"pattern": "^tf-state-"}) is T
    assert evaluate(cond, {"name": known("tf-state-prod")}, {"pattern": "("}) is U


def test_list_parameter_for_in() -> None:
    cond = {"fact": "acl.canned", "in": {"param": "public_acls"}}
    params = {"public_acls": ["public-read", "public-read-write", "authenticated-read"]}
    assert evaluate(cond, {"acl.canned": known("authenticated-read")}, params) is T


# --- compilation errors carry JSON pointers ------------------------------------------------------

@pytest.mark.parametrize("condition,pointer,fragment", [
    ({"all": [{"fact": "a", "equals": 1}, {"fact": "b", "matches": "[a-"}]}, "/all/1/matches",
     "invalid regular expression"),
    ({"any": []}, "/any", "non-empty list"),
    ({"not": {"fact": "a"}}, "/not", "exactly one operator"),
    ({"fact": "a", "equals": 1, "in": [1]}, "", "exactly one operator"),
    ({"fact": "a", "equal": 1}, "/equal", "unknown operator"),
    ({"all": [{"fact": "a", "is_true": True}], "fact": "b"}, "", "only key"),
    ({"fact": "a", "in": "public-read"}, "/in", "takes a list"),
    ({"fact": "a", "gt": "many"}, "/gt", "takes a number"),
    ({"fact": "a", "equals": {"nested": 1}}, "/equals", "an operand is"),
    ([], "", "a condition is a mapping"),
])
def test_compile_errors_name_the_pointer(condition, pointer: str, fragment: str) -> None:
    with pytest.raises(ConditionError) as info:
        compile_condition(condition)
    assert info.value.pointer == pointer
    assert fragment in info.value.message


def test_compile_collects_every_fault() -> None:
    _, errors = compile_collecting({"all": [{"fact": "a", "matches": "("},
                                            {"fact": "b", "in": 3}]}, "/condition")
    assert [e.pointer for e in errors] == ["/condition/all/0/matches", "/condition/all/1/in"]


def test_to_data_round_trips() -> None:
    data = {"all": [{"fact": "a", "matches": "^x"}, {"not": {"fact": "b", "in": [1, 2]}},
                    {"any": [{"fact": "c", "gt": {"param": "n"}}]}]}
    assert to_data(compile_condition(data)) == data
