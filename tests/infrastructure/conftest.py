from __future__ import annotations

from typing import Any

import pytest

from core.settings import Settings
from orchestration.aws.components import Components, deployed_components
from orchestration.aws.template import template

PARTNERS = {
    "acme": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHd0ZXN0a2V5YWNtZQ acme@laptop"],
    "globex-rh": [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdsb2JleGtleW9uZQ ops",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 backup",
    ],
}


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    return template(Settings(), PARTNERS)


@pytest.fixture(scope="session")
def components() -> Components:
    return deployed_components(Settings())


def resources_of(document: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in document["Resources"].items() if body["Type"] == kind}
