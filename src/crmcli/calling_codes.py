"""Country calling codes and their national prefixes as libphonenumber has them, so that a
number written with its country code (``+44 7700 900005``, ``00351 21 123 4567``) is read
without libphonenumber where the reading is plain: the light path (``crm mutt-query``) does
not load it (about 13 ms), and the import keys a number without its parse (11 microseconds).

A reading is plain when libphonenumber's national significant number is the digits after the
calling code: the number is written with ASCII digits, spaces and ``( ) . - /`` only, and its
country's prefix for parsing (a national prefix libphonenumber would strip; a fixed string or
a pattern) does not match at the start of those digits. Anything else is libphonenumber's to
read. tests/test_calling_codes.py checks the table against the installed libphonenumber, and
every reading against its parse, as search digits and as keys.
"""

from __future__ import annotations

import re
from functools import cache

# calling code[:fixed national prefix for parsing]; the codes whose prefix is a pattern are in
# _PATTERNS
_TABLE = """
1:1 7:8 20:0 27:0 30 31:0 32:0 33:0 34 36:06 39 40:0 41:0 43:0 45 46:0 47 48 49:0 51:0 52 53:0
56 58:0 60:0 62:0 63:0 64:0 65 66:0 84:0 90:0 91:0 92:0 93:0 94:0 95:0 98:0 211:0 212:0 213:0
216 218:0 220 221 222 223 224 225 226 227 228 229 230 231:0 232:0 233:0 234:0 235 236 237 238
239 240 242 243:0 244 245 246 247 248 249:0 250:0 251:0 252:0 253 254:0 255:0 256:0 257 258
260:0 262:0 263:0 264:0 265:0 266 267 268 269 290 291:0 297 299 350 351 353:0 354 355:0 356 357
358:0 359:0 371 372 373:0 374:0 376 377:0 380:0 381:0 382:0 383:0 385:0 386:0 387:0 389:0 420
421:0 500 501 502 503 504 505 507 508:0 509 590:0 592 593:0 594:0 595:0 596:0 597 598:0 599 670
673 674 675 676 677 678 679 680 681 682 683 685 686:0 687 688 689 690 691 692:1 800 808 850:0
852 853 855:0 856:0 870 878 880:0 881 882 883 886:0 888 960 961:0 962:0 963:0 964:0 965 966:0
967:0 968 970:0 971:0 972:0 973 974 975 976:0 977:0 979 992 993:8 994:0 995:0 996:0 998
"""
# matched (re.match) at the start of the digits after the code; Argentina's matches anything
_PATTERNS = {
    "44": r"0|180020",
    "54": (r"0?(?:(11|2(?:2(?:02?|[13]|2[13-79]|4[1-6]|5[2457]|6[124-8]|7[1-4]|8[13-6]|9[1267])|"
           r"3(?:02?|1[467]|2[03-6]|3[13-8]|[49][2-6]|5[2-8]|[67])|4(?:7[3-578]|9)|6(?:[0136]|"
           r"2[24-6]|4[6-8]?|5[15-8])|80|9(?:0[1-3]|[19]|2\d|3[1-6]|4[02568]?|5[2-4]|6[2-46]|72?|"
           r"8[23]?))|3(?:3(?:2[79]|6|8[2578])|4(?:0[0-24-9]|[12]|3[5-8]?|4[24-7]|5[4-68]?|6[02-9]|"
           r"7[126]|8[2379]?|9[1-36-8])|5(?:1|2[1245]|3[237]?|4[1-46-9]|6[2-4]|7[1-6]|8[2-5]?)|"
           r"6[24]|7(?:[069]|1[1568]|2[15]|3[145]|4[13]|5[14-8]|7[2-57]|8[126])|8(?:[01]|2[15-7]|"
           r"3[2578]?|4[13-6]|5[4-8]?|6[1-357-9]|7[36-8]?|8[5-8]?|9[124])))15)?"),
    "55": r"(?:0|90)(?:(1[245]|2[1-35]|31|4[13]|[56]5|99)(\d{10,11}))?",
    "57": r"0([3579]|4(?:[14]4|56))?",
    "61": r"(183[12])|0",
    "81": r"(000[2569]\d{4,6})$|(?:(?:003768)0?)|0",
    "82": r"0(8(?:[1-46-8]|5\d\d))?",
    "86": r"(1(?:[12]\d|79)\d\d)|0",
    "241": r"0(11\d{6}|60\d{6}|61\d{6}|6[256]\d{6}|7[467]\d{6})",
    "261": r"([24-9]\d{6})$|0",
    "298": r"(10(?:01|[12]0|88))",
    "352": r"(15(?:0[06]|1[12]|[35]5|4[04]|6[26]|77|88|99)\d)",
    "370": r"[08]",
    "375": r"0|80?",
    "378": r"([89]\d{5})$",
    "423": r"(1001)|0",
    "506": r"(19(?:0[0-2468]|1[09]|20|66|77|99))",
    "591": r"0(1\d)?",
    "672": r"([0-258]\d{4})$",
}
_SEPARATORS = str.maketrans("", "", " ().-/")
_NSN_LENGTHS = range(2, 18)  # libphonenumber's shortest and longest national numbers


@cache
def prefixes() -> dict[str, str]:
    """Each calling code's national prefix for parsing ('' for none), a regular expression."""
    entries = (entry.partition(":") for entry in _TABLE.split())
    return {code: prefix for code, _, prefix in entries} | _PATTERNS


@cache  # compiled on first use: a process compiles the few its numbers need
def _prefix_pattern(code: str) -> re.Pattern | None:
    prefix = prefixes()[code]
    return re.compile(prefix) if prefix else None


def international_parts(value: str) -> tuple[str, str] | None:
    """The calling code and national significant number libphonenumber reads in ``value``
    (stripped, starting with + or 00, with no phone_problem); ``("", "")`` when it reads no
    number there (no such calling code, too few or too many digits); None when only
    libphonenumber can tell."""
    digits = (value[1:] if value[0] == "+" else value[2:]).translate(_SEPARATORS)
    if digits.strip("0123456789"):
        return None
    if len(digits) <= 2 or digits[0] == "0":
        return "", ""
    codes = prefixes()
    code = next((digits[:size] for size in (1, 2, 3) if digits[:size] in codes), None)
    if code is None:
        return "", ""
    national = digits[len(code):]
    pattern = _prefix_pattern(code)
    if pattern is not None and pattern.match(national):
        return None
    return (code, national) if len(national) in _NSN_LENGTHS else ("", "")
