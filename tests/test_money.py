"""Money: parsing what people type per decimal setting, minor-unit exponents, formatting."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli import money
from crmcli.errors import ConfigError, InvalidInput


@pytest.mark.parametrize(("text", "decimal", "currency", "minor"), [
    ("12500", ".", "EUR", 1_250_000),
    ("12,500.50", ".", "EUR", 1_250_050),
    ("12.500,50", ",", "EUR", 1_250_050),
    ("12.500", ".", "EUR", 1_250),          # twelve and a half with decimal "."
    ("12,500", ".", "EUR", 1_250_000),      # a valid thousands group
    ("12,5", ",", "EUR", 1_250),
    ("12.500", ",", "EUR", 1_250_000),
    ("1,234,567.89", ".", "USD", 123_456_789),
    ("1 250 000,5", ",", "EUR", 125_000_050),
    ("1'250.75", ".", "CHF", 125_075),
    ("1_000", ".", "EUR", 100_000),
    (" +42 ", ".", "EUR", 4_200),
    (".5", ".", "EUR", 50),
    ("0", ".", "EUR", 0),
    ("12,500", ".", "JPY", 12_500),         # no minor unit
    ("1.500", ",", "JPY", 1_500),
    ("12.00", ".", "JPY", 12),              # zero decimals lose nothing
    ("1.234", ".", "KWD", 1_234),           # three decimals
    ("7.5", ".", "BHD", 7_500),
])
def test_amounts_parse_per_decimal_setting(text, decimal, currency, minor):
    assert money.parse_amount(text, currency, decimal) == minor


@pytest.mark.parametrize(("text", "decimal", "message"), [
    ("12,50", ".", "'12,50' is ambiguous: with decimal = \".\" a ',' only groups thousands"
                   " in threes (12,500); for decimals write 12.50, or set decimal = \",\""),
    ("12.50", ",", "'12.50' is ambiguous: with decimal = \",\" a '.' only groups thousands"
                   " in threes (12.500); for decimals write 12,50, or set decimal = \".\""),
    ("1,2345", ".", "is ambiguous"),
    ("12.500,50", ".", "does not read as an amount with decimal = '.' in config.toml; write it"
                       " as 12,500.50"),
    ("12,500.50", ",", "write it as 12.500,50"),
    ("1.2.3", ".", "does not read as an amount"),
    ("-5", ".", "'-5': a deal's value cannot be negative"),
    ("-1,5", ",", "cannot be negative"),
    ("abc", ".", "'abc' is not an amount (try 12500 or 12,500.50)"),
    ("", ".", "is not an amount"),
    ("12.", ".", "is not an amount"),
    ("1e5", ".", "is not an amount"),
    ("€12", ".", "is not an amount"),
    ("12 50", ".", "thousands are grouped in threes"),
    ("1.005", ".", "'1.005' is too precise: EUR has 2 decimals"),
    ("1" * 16, ".", "too large"),
])
def test_bad_amounts_are_refused_with_a_reason(text, decimal, message):
    with pytest.raises(InvalidInput) as caught:
        money.parse_amount(text, "EUR", decimal)
    assert message in str(caught.value)


def test_currencies_without_minor_units_refuse_decimals():
    with pytest.raises(InvalidInput, match="JPY has no decimals"):
        money.parse_amount("12.5", "JPY")


@pytest.mark.parametrize(("minor", "currency", "decimal", "shown"), [
    (1_250_050, "EUR", ".", "12,500.50"),
    (1_250_050, "EUR", ",", "12.500,50"),
    (5, "EUR", ".", "0.05"),
    (1_800_000, "JPY", ".", "1,800,000"),
    (1_800_000, "JPY", ",", "1.800.000"),
    (12_345, "KWD", ".", "12.345"),
    (0, "USD", ",", "0,00"),
])
def test_format_groups_thousands_in_the_configured_style(minor, currency, decimal, shown):
    assert money.format_amount(minor, currency, decimal) == shown
    assert money.display(minor, currency, decimal) == f"{shown} {currency}"


def test_json_amounts_are_plain_text_with_a_point():
    assert money.to_json(125_000, "EUR") == {"amount": "1250.00", "currency": "EUR"}
    assert money.to_json(1_250, "JPY") == {"amount": "1250", "currency": "JPY"}
    assert money.to_json(1_250, "KWD") == {"amount": "1.250", "currency": "KWD"}
    assert money.to_json(None, "EUR") is None
    assert money.minor_of({"amount": "1250.00", "currency": "EUR"}) == 125_000
    assert money.display_json({"amount": "1250.00", "currency": "EUR"}, ",") == "1.250,00 EUR"


def test_exponents_default_to_two():
    assert [money.exponent(c) for c in ("EUR", "USD", "JPY", "KRW", "KWD", "CLF", "XYZ")] == [
        2, 2, 0, 0, 3, 4, 2]


def test_currency_codes_are_iso_4217():
    assert money.check_currency(" usd ") == "USD"
    assert money.check_currency("CLF") == "CLF"
    for bad in ("US", "EURO", "€", "12A", "XYZ", "DEM"):
        with pytest.raises(InvalidInput, match="not an ISO 4217 currency code"):
            money.check_currency(bad)


def test_deal_with_an_unknown_currency_is_refused(crm):
    crm.add("Ana")
    result = crm("deal", "add", "ana", "Pilot", "--value", "10", "--currency", "XYZ")
    assert result.exit_code == 1
    assert "'XYZ' is not an ISO 4217 currency code" in result.stderr
    assert crm.ok("deal", "list", "--json").json() == []


def test_decimal_setting_is_validated_naming_the_key():
    path = Path("/x/config.toml")
    assert money.decimal_mark(SimpleNamespace(raw={}, path=path)) == "."
    assert money.decimal_mark(SimpleNamespace(raw={"decimal": ","}, path=path)) == ","
    with pytest.raises(ConfigError, match=r'/x/config.toml: decimal must be "\." or ",", not'):
        money.decimal_mark(SimpleNamespace(raw={"decimal": ";"}, path=path))


CURRENCIES = st.sampled_from(["EUR", "USD", "JPY", "KRW", "KWD", "BHD", "CLF", "GBP"])


@given(minor=st.integers(min_value=0, max_value=money.MAX_MINOR - 1), currency=CURRENCIES,
       decimal=st.sampled_from(money.DECIMAL_MARKS))
def test_format_then_parse_gives_the_same_minor_units(minor, currency, decimal):
    shown = money.format_amount(minor, currency, decimal)
    assert money.parse_amount(shown, currency, decimal) == minor
    assert money.parse_amount(money.amount_text(minor, currency), currency) == minor
