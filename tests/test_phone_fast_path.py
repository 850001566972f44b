"""A number written plainly in international form is keyed without libphonenumber's parse,
to exactly the key the parse gives: on every country code, on the corpus's numbers and on
generated text."""

from __future__ import annotations

import random
import re

import pytest
from conftest import CORPUS
from hypothesis import example, given, settings
from hypothesis import strategies as st
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from crmcli.normalize import (
    parsed_phone_key,
    phone_key,
    phone_problem,
    plain_international_key,
)

REGIONS = (None, "ES", "US", "GB", "DE", "AR", "IT", "es")


def _same_as_parsed(value: str, regions=REGIONS) -> bool:
    """Whether the fast key (if it gives one) is the parsed key in each of ``regions``;
    whether it gave one."""
    fast = plain_international_key(value)
    if fast is None or phone_problem(value):
        return False
    for region in regions:
        assert fast == parsed_phone_key(value, region), (value, region)
    return True


def test_every_country_code_with_every_first_digit_and_length_keys_as_parsed():
    rng = random.Random(19)
    taken = 0
    for country in COUNTRY_CODE_TO_REGION_CODE:
        for length in range(19):
            for first in "0123456789":
                national = (first + "".join(rng.choices("0123456789", k=length)))[:length]
                separator = rng.choice(("", " ", "-"))
                taken += _same_as_parsed(f"+{country}{separator}{national}",
                                         [rng.choice(REGIONS)])
    assert taken > 20_000  # the fast path answers most of them


def test_a_national_prefix_or_a_leading_zero_goes_to_the_parse():
    assert plain_international_key("+44 7700 900005") == "+447700900005"
    assert plain_international_key("+44 07700 900005") is None  # "0" is the UK's prefix
    assert phone_key("+44 07700 900005") == "+447700900005"
    assert plain_international_key("+39 06 1234 5678") is None  # Italy keeps the zero
    assert phone_key("+39 06 1234 5678") == "+390612345678"
    assert plain_international_key("+54 9 11 1234 5678") is None  # a prefix that can be empty
    assert plain_international_key("+1 415-555-0100") == "+14155550100"
    assert plain_international_key("+34 627505051") == "+34627505051"


@pytest.mark.parametrize("text", ["+34  612", "+34 612 x12", "+ 34 612 345", "34 612 345 678",
                                  "0034 612 345 678", "+34 (612) 345", "+34 612.345.678",
                                  "+٣٤ ٦١٢ ٣٤٥ ٦٧٨", "+34 612 345 678 ", "+999 123 456",
                                  "+1 234567890123456"])
def test_any_other_writing_goes_to_the_parse(text):
    assert plain_international_key(text) is None


@settings(max_examples=500, deadline=None)
@given(st.from_regex(re.compile(r"\+[0-9][0-9 \-]{0,20}"), fullmatch=True))
@example("+7 812 123 45 67")
@example("+800 1234 5678")
def test_generated_numbers_key_as_parsed(text):
    _same_as_parsed(text)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no vCard corpus at {CORPUS}")
def test_every_corpus_number_keys_as_parsed():
    numbers = {match.strip() for path in CORPUS.glob("*.vcf")
               for match in re.findall(r"^(?:[\w.-]+\.)?TEL[^:\r\n]*:([^\r\n]*)",
                                       path.read_text("utf-8", "replace"), re.M | re.I)}
    assert len(numbers) > 50
    taken = sum(_same_as_parsed(number) for number in numbers)
    assert taken > 0
