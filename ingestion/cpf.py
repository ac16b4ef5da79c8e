"""Brazilian CPF: check digits (mod 11), formatting and generation of valid numbers for sample data."""

from __future__ import annotations

import random
import re

_NON_DIGITS = re.compile(r"\D")


def digits_only(value: str) -> str:
    return _NON_DIGITS.sub("", value)


def check_digits(base: str) -> str:
    """The two check digits of a 9-digit CPF base."""
    first = (
        sum(int(digit) * weight for digit, weight in zip(base, range(10, 1, -1), strict=True)) * 10 % 11 % 10
    )
    second = (
        sum(int(digit) * weight for digit, weight in zip(base + str(first), range(11, 1, -1), strict=True))
        * 10
        % 11
        % 10
    )
    return f"{first}{second}"


def is_valid_cpf(value: str | None) -> bool:
    """Valid when, after removing punctuation (``.``, ``-``, ``/``), 11 ASCII digits remain, not all equal,
    with both check digits right: pycpfcnpj's definition (spaces, letters and other characters reject)."""
    if value is None:
        return False
    if not re.fullmatch(r"[0-9./-]*", value):
        return False
    number = digits_only(value)
    if len(number) != 11 or len(set(number)) == 1:
        return False
    return check_digits(number[:9]) == number[9:]


def format_cpf(number: str) -> str:
    return f"{number[:3]}.{number[3:6]}.{number[6:9]}-{number[9:]}"


def generate_cpf(rng: random.Random, punctuated: bool = True) -> str:
    while True:
        base = "".join(str(rng.randrange(10)) for _ in range(9))
        if len(set(base)) > 1:
            break
    number = base + check_digits(base)
    return format_cpf(number) if punctuated else number
