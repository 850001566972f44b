"""crmcli.calling_codes reads a number written with its country code as libphonenumber does,
without loading it. Its table is the installed libphonenumber's, and both of its uses give
what libphonenumber's parse gives: the digits a search looks for (phone_search_digits, on the
light path) and the key a number is matched and stored by (phone_key, at import). Checked on
every calling code, on the corpus's numbers and on generated text."""

from __future__ import annotations

import random
import re

import phonenumbers
import pytest
from conftest import CORPUS
from hypothesis import example, given, settings
from hypothesis import strategies as st
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from crmcli import calling_codes, normalize
from crmcli.calling_codes import international_parts
from crmcli.normalize import phone_key, phone_search_digits

NATIONAL = ["", "1", "12", "123", "0123", "06 1234 5678", "1234567", "21 123 4567",
            "(0) 21 123", "8 812 123 45 67", "1-800-555-0100", "15 1234 5678", "9 11 1234 5678",
            "0" * 12, "9" * 14, "1" * 16, "2" * 17, "0800 123 456", "06.12.34.56.78", "80/123",
            "180020 1234", "1831 2345 678", "7700 900005"]
INVALID_CODES = [0, 28, 42, 89, 210, 999]
REGIONS = (None, "ES", "US", "GB", "DE", "AR", "IT", "es")
SEPARATORS = ["", " ", "-", "  ", " (", ") ", ".", "/"]


def search_digits_by_parse(text: str) -> str:
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


def key_by_parse(text: str, region: str | None) -> str:
    """phone_key as it was, always through libphonenumber."""
    value = text.strip()
    if len(value) > normalize.MAX_PHONE_TEXT or normalize.phone_problem(value):
        return ""
    return normalize.parsed_phone_key(value, region)


def reads_as_parsed(text: str, regions=REGIONS) -> bool:
    """Asserts both uses of the table give what the parse gives; whether the table answered."""
    assert phone_search_digits(text) == search_digits_by_parse(text), text
    for region in regions:
        assert phone_key(text, region) == key_by_parse(text, region), (text, region)
    value = text.strip()
    return (value.startswith(("+", "00")) and not normalize.phone_problem(value)
            and bool((international_parts(value) or ("", ""))[1]))


def test_the_table_is_the_installed_libphonenumbers():
    expected = {str(code): PhoneMetadata.metadata_for_region_or_calling_code(
        code, regions[0]).national_prefix_for_parsing or ""
        for code, regions in COUNTRY_CODE_TO_REGION_CODE.items()}
    assert calling_codes.prefixes() == expected


def test_every_calling_code_reads_as_libphonenumber_reads_it():
    rng = random.Random(19)
    answered = 0
    for code in [*COUNTRY_CODE_TO_REGION_CODE, *INVALID_CODES]:
        texts = [text for national in NATIONAL for text in (
            f"+{code} {national}", f"00{code}{national}", f"+({code}) {national}")]
        for length in range(19):  # every length with four of the first digits
            for first in rng.sample("0123456789", 4):
                national = first + "".join(rng.choices("0123456789", k=length - 1))
                texts.append(f"{rng.choice(('+', '00'))}{code}{rng.choice(SEPARATORS)}"
                             f"{national[:length]}")
        answered += sum(reads_as_parsed(text, [rng.choice(REGIONS)]) for text in texts)
    codes = len(COUNTRY_CODE_TO_REGION_CODE) + len(INVALID_CODES)
    assert answered > 0.6 * codes * (len(NATIONAL) * 3 + 19 * 4)  # the table answers most


@settings(max_examples=400, deadline=None)
@given(st.from_regex(r"(\+|00)[0-9 ().\-/]{0,24}", fullmatch=True))
@example("+7 812 123 45 67")
@example("+800 1234 5678")
def test_any_typed_international_number_reads_as_libphonenumber_reads_it(text):
    reads_as_parsed(text)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(calling_codes.prefixes())),
       st.from_regex(r"[0-9][0-9 \-]{0,18}", fullmatch=True), st.sampled_from(REGIONS))
def test_any_number_after_a_known_calling_code_reads_as_libphonenumber_reads_it(
        code, national, region):
    reads_as_parsed(f"+{code} {national}", [region])


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no vCard corpus at {CORPUS}")
def test_every_corpus_number_reads_as_libphonenumber_reads_it():
    numbers = {match.strip() for path in CORPUS.glob("*.vcf")
               for match in re.findall(r"^(?:[\w.-]+\.)?TEL[^:\r\n]*:([^\r\n]*)",
                                       path.read_text("utf-8", "replace"), re.M | re.I)}
    assert len(numbers) > 50
    assert sum(reads_as_parsed(number) for number in numbers) > 0


def test_a_number_whose_digits_start_as_a_national_prefix_could_goes_to_libphonenumber():
    assert international_parts("+351 21 123 4567") == ("351", "211234567")
    assert international_parts("00351 211234567") == ("351", "211234567")
    assert international_parts("+44 7700 900005") == ("44", "7700900005")  # a pattern: "0|180020"
    assert international_parts("+44 07700 900005") is None
    assert international_parts("+44 180020 1234") is None
    assert phone_key("+44 07700 900005") == "+447700900005"
    assert international_parts("+39 06 1234 5678") == ("39", "0612345678")  # Italy keeps it
    assert phone_key("+39 06 1234 5678") == "+390612345678"
    assert international_parts("+54 9 11 1234 5678") is None  # a prefix that can be empty
    assert international_parts("+1 (415) 555-0100") == ("1", "4155550100")
    assert international_parts("+999 123 456") == ("", "")  # no such code: no number


@pytest.mark.parametrize("text", ["+34 612 x12", "+34 612 345 678 ext. 9", "+1 800 FLOWERS",
                                  "+٣٤ ٦١٢ ٣٤٥ ٦٧٨", "+34\t612 345 678", "+34_612"])
def test_any_other_writing_goes_to_libphonenumber(text):
    assert international_parts(text) is None


def test_00_is_read_as_the_international_prefix_only_where_no_region_says_otherwise():
    assert phone_key("0034 612 345 678") == "+34612345678"
    assert phone_key("0034 612 345 678", "US") == "+10034612345678"  # 011 is dialled there
