"""CloudFormation's intrinsic functions, resolved in a template's values as CloudFormation resolves them.

What a resource's ``Ref`` or ``Fn::GetAtt`` yields depends on where the stack is: the sandbox step that
completes a deployed stack asks the account (``sandbox.stack``); the template's tests invent ids for a
stack that was never deployed (``tests/infrastructure/policy.py``). Both give those two lookups to one
``IntrinsicResolver``; everything else (parameters, pseudo parameters, conditions, ``Fn::Sub``,
``Fn::Join``, ``Fn::Select``, ``Fn::If``, ``AWS::NoValue``) is resolved here. Only the sandbox resolves a
template in product code (on AWS, CloudFormation does), hence its place here and not beside the
template in ``orchestration.aws``, which imports the sandbox.

Covers the functions the template uses; any other ``Fn::`` function is refused rather than left as
data, so a template using a new one fails loudly where it is resolved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

NO_VALUE = object()  # ``Ref: AWS::NoValue``: the property (or list item) is removed
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class UnsupportedIntrinsic(ValueError):
    pass


@dataclass
class IntrinsicResolver:
    """``resource_ref(logical)`` and ``resource_attribute(logical, attribute)`` give what ``Ref`` and
    ``Fn::GetAtt`` of a resource yield. ``parameters`` are the stack's parameter values (defaults
    already applied): text as CloudFormation receives it, or a list for a ``CommaDelimitedList``.
    ``fixed_conditions`` are taken as given instead of evaluated."""

    template: Mapping[str, Any]
    parameters: Mapping[str, Any]
    resource_ref: Callable[[str], Any]
    resource_attribute: Callable[[str, str], Any]
    stack_name: str
    region: str
    account: str
    fixed_conditions: Mapping[str, bool] = field(default_factory=dict)
    _conditions: dict[str, bool] = field(default_factory=dict, init=False, repr=False)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(element) for element in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return self.ref(str(argument))
            if function == "Fn::Sub":
                return self._sub(argument)
            if function == "Fn::GetAtt":
                logical, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
                return self.resource_attribute(logical, attribute)
            if function == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if function == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if function == "Fn::If":
                condition, when_true, when_false = argument
                return self.resolve(when_true if self.condition(condition) else when_false)
            if function.startswith("Fn::"):
                raise UnsupportedIntrinsic(f"{function} is not resolved (only in Conditions, or not used yet)")
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def condition(self, name: str) -> bool:
        if name in self.fixed_conditions:
            return self.fixed_conditions[name]
        if name not in self._conditions:
            self._conditions[name] = self._evaluate(self.template["Conditions"][name])
        return self._conditions[name]

    def _evaluate(self, expression: Any) -> bool:
        ((function, argument),) = expression.items()
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Equals":
            left, right = (self.resolve(item) for item in argument)
            return bool(left == right)
        if function == "Fn::Not":
            return not self._evaluate(argument[0])
        if function == "Fn::And":
            return all(self._evaluate(item) for item in argument)
        if function == "Fn::Or":
            return any(self._evaluate(item) for item in argument)
        raise UnsupportedIntrinsic(f"condition function {function} is not supported")

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self._parameter(name, self.parameters[name])
        return self.resource_ref(name)

    def _parameter(self, name: str, value: Any) -> Any:
        kind = self.template["Parameters"][name].get("Type")
        if kind == "CommaDelimitedList" and isinstance(value, str):
            # CloudFormation splits "" into one empty item, not into no items.
            return value.split(",")
        if kind == "Number" and isinstance(value, str):
            # Ref gives a Number as text; the APIs the sandbox calls with it (Glue, Athena) want a number.
            return int(value) if value.lstrip("-").isdigit() else float(value)
        return value

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return str(self.resource_attribute(logical, attribute))
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text)


def parameter_values(template: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter's value: the given one, else its default (a parameter with neither is absent)."""
    values = {
        name: declared["Default"]
        for name, declared in template.get("Parameters", {}).items()
        if "Default" in declared
    }
    return values | dict(given)
