"""Country calling codes and their national prefixes as libphonenumber has them, so that the
light path (``crm mutt-query '+351 21 123 4567'``) can read a number written with its
country code without loading libphonenumber (about 13 ms).

Only the plain cases are answered, those where libphonenumber's national significant number
is the digits after the calling code: written with ASCII digits, spaces and ``( ) . - /``
only, under a code whose national prefix (read off a number in international form) is none or
a fixed string the digits do not start with. Anything else is libphonenumber's to read.
tests/test_calling_codes.py checks the table against the installed libphonenumber and every
answer against its parse.
"""

from __future__ import annotations

from functools import cache

# calling code[:national prefix for parsing], '?' where that prefix is a pattern
_TABLE = """
1:1 7:8 20:0 27:0 30 31:0 32:0 33:0 34 36:06 39 40:0 41:0 43:0 44:? 45 46:0 47 48 49:0 51:0 52
53:0 54:? 55:? 56 57:? 58:0 60:0 61:? 62:0 63:0 64:0 65 66:0 81:? 82:? 84:0 86:? 90:0 91:0 92:0
93:0 94:0 95:0 98:0 211:0 212:0 213:0 216 218:0 220 221 222 223 224 225 226 227 228 229 230
231:0 232:0 233:0 234:0 235 236 237 238 239 240 241:? 242 243:0 244 245 246 247 248 249:0 250:0
251:0 252:0 253 254:0 255:0 256:0 257 258 260:0 261:? 262:0 263:0 264:0 265:0 266 267 268 269
290 291:0 297 298:? 299 350 351 352:? 353:0 354 355:0 356 357 358:0 359:0 370:? 371 372 373:0
374:0 375:? 376 377:0 378:? 380:0 381:0 382:0 383:0 385:0 386:0 387:0 389:0 420 421:0 423:? 500
501 502 503 504 505 506:? 507 508:0 509 590:0 591:? 592 593:0 594:0 595:0 596:0 597 598:0 599
670 672:? 673 674 675 676 677 678 679 680 681 682 683 685 686:0 687 688 689 690 691 692:1 800
808 850:0 852 853 855:0 856:0 870 878 880:0 881 882 883 886:0 888 960 961:0 962:0 963:0 964:0
965 966:0 967:0 968 970:0 971:0 972:0 973 974 975 976:0 977:0 979 992 993:8 994:0 995:0 996:0
998
"""
_PLAIN = frozenset("0123456789 ().-/")
_DIGITS = frozenset("0123456789")
_NSN_LENGTHS = range(2, 18)  # libphonenumber's shortest and longest national numbers


@cache
def _prefixes() -> dict[str, str | None]:
    """Each calling code's national prefix ('' for none; None: a pattern)."""
    entries = (entry.partition(":") for entry in _TABLE.split())
    return {code: None if prefix == "?" else prefix for code, _, prefix in entries}


def national_digits(value: str) -> str | None:
    """The national significant number libphonenumber reads in ``value`` (stripped, starting
    with + or 00), '' when it reads no number there (no such calling code, too few or too
    many digits), None when only libphonenumber can tell."""
    body = value[1:] if value.startswith("+") else value[2:]
    if not _PLAIN.issuperset(body):
        return None
    digits = "".join(char for char in body if char in _DIGITS)
    if len(digits) <= 2 or digits[0] == "0":
        return ""
    prefixes = _prefixes()
    code = next((digits[:size] for size in (1, 2, 3) if digits[:size] in prefixes), None)
    if code is None:
        return ""
    prefix, rest = prefixes[code], digits[len(code):]
    if prefix is None or (prefix and rest.startswith(prefix)):
        return None
    return rest if len(rest) in _NSN_LENGTHS else ""
