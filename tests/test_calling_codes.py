"""crmcli.calling_codes reads a number written with its country code as libphonenumber does,
without loading it: its table is the installed libphonenumber's, and its answers are the
national significant numbers libphonenumber's parse gives (or its refusal)."""

from __future__ import annotations

import re

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from crmcli import calling_codes, normalize

NATIONAL = ["", "1", "12", "123", "0123", "06 1234 5678", "1234567", "21 123 4567",
            "(0) 21 123", "8 812 123 45 67", "1-800-555-0100", "15 1234 5678", "9 11 1234 5678",
            "0" * 12, "9" * 14, "1" * 16, "2" * 17, "0800 123 456", "06.12.34.56.78", "80/123"]
INVALID_CODES = [0, 28, 42, 89, 210, 999]


def with_libphonenumber(text: str) -> str:
    """phone_search_digits as it was, always through libphonenumber."""
    value = text.strip()
    if value.startswith(("+", "00")) and not normalize.phone_problem(value):
        try:
            number = phonenumbers.parse("+" + value[2:] if value.startswith("00") else value)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None:
            return phonenumbers.national_significant_number(number)
    return normalize.phone_digits(value)


def test_the_table_is_the_installed_libphonenumbers():
    expected = {}
    for code, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        prefix = PhoneMetadata.metadata_for_region_or_calling_code(
            code, regions[0]).national_prefix_for_parsing
        expected[str(code)] = ("" if prefix is None
                               else prefix if re.fullmatch(r"[0-9]+", prefix) else None)
    assert calling_codes._prefixes() == expected


def test_every_calling_code_reads_as_libphonenumber_reads_it():
    answered = 0
    for code in [*COUNTRY_CODE_TO_REGION_CODE, *INVALID_CODES]:
        for national in NATIONAL:
            for text in (f"+{code} {national}", f"00{code}{national}", f"+({code}) {national}"):
                assert normalize.phone_search_digits(text) == with_libphonenumber(text), text
                answered += calling_codes.national_digits(text.strip()) is not None
    assert answered > 0.6 * (len(COUNTRY_CODE_TO_REGION_CODE) + len(INVALID_CODES)) * 60


@settings(max_examples=400, deadline=None)
@given(st.from_regex(r"(\+|00)[0-9 ().\-/]{0,24}", fullmatch=True))
def test_any_typed_international_number_reads_as_libphonenumber_reads_it(text):
    assert normalize.phone_search_digits(text) == with_libphonenumber(text)


def test_a_portuguese_number_is_read_without_libphonenumber():
    assert calling_codes.national_digits("+351 21 123 4567") == "211234567"
    assert calling_codes.national_digits("00351 211234567") == "211234567"
    assert calling_codes.national_digits("+44 7700 900005") is None  # a pattern: its to read
