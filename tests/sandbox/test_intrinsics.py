"""CloudFormation's intrinsic functions resolved as CloudFormation resolves them (the sandbox's stack
completion and the template's policy tests share this resolver)."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.intrinsics import IntrinsicResolver, UnsupportedIntrinsic, parameter_values

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Bucket": {"Type": "String"},
        "Subnets": {"Type": "CommaDelimitedList", "Default": ""},
        "Cutoff": {"Type": "Number", "Default": 10},
        "Sandbox": {"Type": "String", "Default": "false"},
    },
    "Conditions": {
        "IsRealAccount": {"Fn::Equals": [{"Ref": "Sandbox"}, "false"]},
        "HasVpc": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "Subnets"}]}, ""]}]},
        "VpcOrSandbox": {"Fn::Or": [{"Condition": "HasVpc"}, {"Fn::Not": [{"Condition": "IsRealAccount"}]}]},
    },
    "Resources": {"Role": {"Type": "AWS::IAM::Role"}, "Queue": {"Type": "AWS::SQS::Queue"}},
}


def _resolver(fixed_conditions: dict[str, bool] | None = None, **given: Any) -> IntrinsicResolver:
    return IntrinsicResolver(
        TEMPLATE,
        parameter_values(TEMPLATE, {"Bucket": "lake", **given}),
        lambda logical: f"physical-{logical}",
        lambda logical, attribute: f"{logical}:{attribute}",
        stack_name="lakehouse",
        region="us-east-1",
        account="123456789012",
        fixed_conditions=fixed_conditions or {},
    )


def test_refs_give_parameters_pseudo_parameters_and_physical_ids() -> None:
    resolve = _resolver().resolve
    assert resolve({"Ref": "Bucket"}) == "lake"
    assert resolve({"Ref": "AWS::AccountId"}) == "123456789012"
    assert resolve({"Ref": "Queue"}) == "physical-Queue"
    assert resolve({"Fn::GetAtt": ["Role", "Arn"]}) == resolve({"Fn::GetAtt": "Role.Arn"}) == "Role:Arn"


def test_a_comma_delimited_list_of_nothing_is_one_empty_item_and_a_number_is_a_number() -> None:
    assert _resolver().resolve({"Ref": "Subnets"}) == [""]
    assert _resolver(Subnets="a,b").resolve({"Fn::Select": ["1", {"Ref": "Subnets"}]}) == "b"
    assert _resolver(Cutoff="2048").resolve({"Ref": "Cutoff"}) == 2048


def test_sub_substitutes_refs_attributes_and_its_own_variables_and_keeps_escaped_ones() -> None:
    text = "arn:${AWS::Region}:${Bucket}/${Role.Arn}/${Own}/${!Literal}"
    resolved = _resolver().resolve({"Fn::Sub": [text, {"Own": {"Fn::Join": ["-", ["a", "b"]]}}]})
    assert resolved == "arn:us-east-1:lake/Role:Arn/a-b/${Literal}"


def test_conditions_choose_a_branch_and_no_value_removes_the_property() -> None:
    template_value = {
        "Name": "x",
        "Vpc": {"Fn::If": ["HasVpc", "subnets", {"Ref": "AWS::NoValue"}]},
        "Layers": [{"Fn::If": ["IsRealAccount", "layer", {"Ref": "AWS::NoValue"}]}, "base"],
    }
    assert _resolver().resolve(template_value) == {"Name": "x", "Layers": ["layer", "base"]}
    assert _resolver(Subnets="s-1", Sandbox="true").resolve(template_value) == {
        "Name": "x",
        "Vpc": "subnets",
        "Layers": ["base"],
    }
    assert not _resolver().condition("VpcOrSandbox")
    assert _resolver(Sandbox="true").condition("VpcOrSandbox")


def test_fixed_conditions_are_taken_as_given() -> None:
    fixed = _resolver({"IsRealAccount": True}, Sandbox="true")
    assert fixed.condition("IsRealAccount") and not fixed.condition("VpcOrSandbox")


def test_a_function_it_does_not_resolve_is_refused() -> None:
    with pytest.raises(UnsupportedIntrinsic, match="Fn::FindInMap"):
        _resolver().resolve({"Fn::FindInMap": ["Map", "Key", "Value"]})
