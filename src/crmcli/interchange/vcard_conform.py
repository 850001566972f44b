r"""Make a card's lines valid for the vCard version they are written as (3.0 or 4.0).

A card's lines come from three places: crmcli's own fields, an original card's lines reused
unchanged, and unknown properties kept from the original. The last two were written by other
programs (vCard 2.1 phones, 4.0 servers), so `conform` repairs each line for the version written:

- Text values: a bare comma in FN, TITLE, ROLE, NOTE or an ORG component is escaped
  (`ORG:Company\, The;Sales`; vCard 2.1 needs no escape, servers split 3.0/4.0 ORGs at it);
  escapes other than `\\ \, \; \n` lose their backslash (`\"` is `"`, as crmcli reads it);
  N has 5 components and ADR 7 (missing ones added, surplus ones dropped).
  Control characters other than tab are removed (no vCard value may hold them).
- One line each: a second N, BDAY, ANNIVERSARY, GENDER, KIND, REV, UID or PRODID, and in 3.0 a
  second FN, is renamed `X-ALTERNATE-<NAME>`, so readers ignore it and nothing is lost (servers
  such as Radicale refuse two N lines even in 4.0, where ALTID allows them).
- vCard 3.0: 4.0-only parameters go: ALTID, PID, SORT-AS, CALSCALE, INDEX, LEVEL, CC, and GEO
  and TZ; PREF=1 becomes TYPE=pref, MEDIATYPE a photo's TYPE, an ADR's LABEL parameter a LABEL
  property (with the ADR's TYPE and group); a `tel:` URI with VALUE=uri becomes the number.
- Inline data (PHOTO, LOGO, SOUND, KEY): ENCODING=b with TYPE in 3.0, a `data:` URI (not
  backslash-escaped) in 4.0. A value that is neither data nor a URI (old Japanese phones put a
  phonetic name in SOUND) is kept as `X-SOUND`.

`conform` never changes a line in place: a repaired line is a new line (`vcard_lines.Line`),
so `conforms` can ask whether a card (an imported one, say) is already valid as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from crmcli.interchange.vcard_lines import Line, new_line

if TYPE_CHECKING:
    from vobject.base import ContentLine

ALTERNATE = "X-ALTERNATE-"
INLINE_DATA = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})
ONE_TEXT = frozenset({"FN", "TITLE", "ROLE", "NOTE", "ORG"})  # a bare comma is not allowed
TEXT = ONE_TEXT | {"N", "ADR", "CATEGORIES"}  # text values whose escapes `conform` repairs
_COMPONENTS = {"N": 5, "ADR": 7}
_AT_MOST_ONCE = frozenset({"N", "BDAY", "ANNIVERSARY", "GENDER", "KIND", "REV", "UID", "PRODID"})
_DROPPED_IN_3 = ("ALTID", "PID", "SORT-AS", "CALSCALE", "INDEX", "LEVEL", "CC", "GEO", "TZ")
_ESCAPE_OR_COMMA = re.compile(r"\\.?|,", re.DOTALL)
_COMPONENT_SEPARATOR = re.compile(r"(?<!\\)((?:\\\\)*);")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_UNESCAPED_SEPARATOR = re.compile(r"\\.|[,;]", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_DATA_URI = re.compile(r"data:([^;,]*)((?:;[^;,]*)*?);base64,(.*)", re.IGNORECASE | re.DOTALL)
_MEDIA_KIND = {"PHOTO": "image", "LOGO": "image", "SOUND": "audio", "KEY": "application"}


def conform(lines: list[ContentLine], version: str) -> list[ContentLine]:
    """The lines repaired for `version` (see the module docstring), in the same order."""
    seen: set[str] = set()
    repaired = []
    for line in lines:
        line = _one_of_a_kind(line, seen, version)
        line = _text_value(line)
        if version == "3.0" and line.params and not CHANGED_IN_3.isdisjoint(line.params):
            repaired += (_inline_data(fixed, version) for fixed in _parameters(line))
        else:  # no parameter to change
            repaired.append(_inline_data(line, version))
    return repaired


def conforms(lines: list[ContentLine], version: str) -> bool:
    """Whether the lines are valid for `version` as they are (FN and, in 3.0, N included)."""
    names = {line.name for line in lines}
    if "FN" not in names or (version == "3.0" and "N" not in names):
        return False
    repaired = conform(lines, version)
    return len(repaired) == len(lines) and all(a is b for a, b in zip(repaired, lines,
                                                                       strict=True))


def _copy(line: ContentLine, name: str | None = None, params: dict | None = None,
          value: str | None = None) -> Line:
    params = line.params if params is None else params
    return new_line(name or line.name, [[key, *values] for key, values in params.items()],
                    line.value if value is None else value, line.group)


def _one_of_a_kind(line: ContentLine, seen: set[str], version: str) -> ContentLine:
    once = line.name in _AT_MOST_ONCE or (line.name == "FN" and version == "3.0")
    if not once:
        return line
    if line.name not in seen:
        seen.add(line.name)
        return line
    return _copy(line, name=ALTERNATE + line.name)


def _text_value(line: ContentLine) -> ContentLine:
    value = line.value if line.value.isprintable() else _CONTROL.sub("", line.value)
    if line.name in TEXT and ("\\" in value or "," in value):
        comma = r"\," if line.name in ONE_TEXT else ","
        value = _ESCAPE_OR_COMMA.sub(lambda match: _escaped(match[0], comma), value)
    if line.name in _COMPONENTS:
        value = _components(value, _COMPONENTS[line.name])
    return line if value == line.value else _copy(line, value=value)


def _escaped(found: str, comma: str) -> str:
    """A text value's escape kept when vCard knows it, else its character; a comma as told."""
    if found == ",":
        return comma
    return found if found[1:] in ("\\", ",", ";", "n", "N") else found[1:]


def _components(value: str, count: int) -> str:
    """Exactly `count` components: empty ones added, surplus ones (which no reader, crmcli
    included, reads: Google repeats the address there) dropped."""
    if "\\" in value:
        parts = _COMPONENT_SEPARATOR.split(value)
        # split() interleaves the captured backslashes: glue each run back onto its component
        components = ["".join(parts[i:i + 2]) for i in range(0, len(parts), 2)][:count]
    else:  # every semicolon separates
        components = value.split(";", count)[:count]
    return ";".join(components + [""] * (count - len(components)))


def _parameters(line: ContentLine) -> Iterator[ContentLine]:
    """The line with its parameters fit for vCard 3.0, and a LABEL line an ADR's gave up."""
    params = {key: list(values) for key, values in line.params.items()}
    value = line.value
    for name in _DROPPED_IN_3:
        params.pop(name, None)
    if params.pop("PREF", None) == ["1"]:
        params["TYPE"] = [*params.get("TYPE", []), "pref"]
    media = params.pop("MEDIATYPE", [""])[0]
    if media and line.name in INLINE_DATA and "TYPE" not in params:
        params["TYPE"] = [media.rpartition("/")[2].upper()]
    label = params.pop("LABEL", [""])[0] if line.name == "ADR" else ""
    if line.name == "TEL" and [v.lower() for v in params.get("VALUE", [])] == ["uri"]:
        del params["VALUE"]
        value = value[4:] if value.lower().startswith("tel:") else value
    if params == line.params and value == line.value:
        yield line
        return
    yield _copy(line, params=params, value=value)
    if label:
        yield _label_line(line, label)


def _label_line(address: ContentLine, label: str) -> ContentLine:
    """vCard 3.0's LABEL property for the text of a 4.0 ADR's LABEL parameter."""
    escaped = _UNESCAPED_SEPARATOR.sub(
        lambda match: match[0] if len(match[0]) == 2 else "\\" + match[0], label)
    types = address.params.get("TYPE")
    return new_line("LABEL", [["TYPE", *types]] if types else [], _CONTROL.sub("", escaped),
                    address.group)


def _inline_data(line: ContentLine, version: str) -> ContentLine:
    if line.name not in INLINE_DATA:
        return line
    encoded = line.params.get("ENCODING")
    if not encoded and not _URI.match(line.value):
        return _copy(line, name="X-" + line.name)
    if version == "3.0":
        return _as_encoded(line)
    if line.value[:5].lower() == "data:" and "\\" in line.value:
        return _copy(line, value=line.value.replace("\\", ""))
    return _as_data_uri(line)


def _as_encoded(line: ContentLine) -> ContentLine:
    """A 3.0 line for a `data:` URI value: ENCODING=b and the subtype as TYPE."""
    found = _DATA_URI.fullmatch(line.value.replace("\\,", ",").strip())
    if not found:
        return line
    media, _, payload = found.groups()
    params = {key: values for key, values in line.params.items() if key not in ("VALUE", "TYPE")}
    params["ENCODING"] = ["b"]
    subtype = media.rpartition("/")[2].upper()
    if subtype:
        params["TYPE"] = [subtype]
    return _copy(line, params=params, value=payload.strip())


def _as_data_uri(line: ContentLine) -> ContentLine:
    """A 4.0 line for inline base64 data: a `data:` URI, its media type from TYPE or MEDIATYPE."""
    encoding = [value.lower() for value in line.params.get("ENCODING", [])]
    if encoding not in (["b"], ["base64"]):
        return line
    media = next(iter(line.params.get("MEDIATYPE", [])), "") or _media_type(line)
    params = {key: values for key, values in line.params.items()
              if key not in ("ENCODING", "TYPE", "MEDIATYPE", "VALUE")}
    return _copy(line, params=params, value=f"data:{media};base64,{line.value.strip()}")


def _media_type(line: ContentLine) -> str:
    """image/jpeg for a PHOTO's TYPE=JPEG; application/octet-stream when nothing says."""
    for value in line.params.get("TYPE", []):
        token = value.strip().lower()
        if "/" in token:
            return token
        if token and token not in ("work", "home", "pref"):
            return f"{_MEDIA_KIND[line.name]}/{token}"
    return "application/octet-stream"


def kept_as_is(name: str, params: dict[str, list[str]], value: str, version: str) -> bool:
    """Whether `conform` leaves a line as it is, a second one-of-a-kind line aside (a quick
    test, False when unsure): no control character, only the escapes vCard knows and no bare
    comma in a one-text value, N and ADR with all their components, inline data already as
    3.0 writes it, and in 3.0 no parameter to drop or translate."""
    if _CONTROL.search(value):
        return False
    if name in TEXT and "\\" in value and _ODD_ESCAPE.search(value):
        return False
    if name in ONE_TEXT and "," in value and _BARE_COMMA.search(value):
        return False
    if name in _COMPONENTS and ("\\" in value or value.count(";") != _COMPONENTS[name] - 1):
        return False
    if name in INLINE_DATA and (version != "3.0" or "ENCODING" not in params
                                or value.replace("\\,", ",").strip()[:5].lower() == "data:"):
        return False
    return version != "3.0" or not params or params.keys().isdisjoint(CHANGED_IN_3)


CHANGED_IN_3 = frozenset({*_DROPPED_IN_3, "PREF", "MEDIATYPE", "LABEL", "VALUE"})
_ODD_ESCAPE = re.compile(r"\\(?:[^\\,;nN]|$)", re.DOTALL)  # an escape `_escaped` drops
_BARE_COMMA = re.compile(r"(?<!\\)(?:\\\\)*,")  # after no backslash, or escaped ones
ONE_OF_A_KIND = _AT_MOST_ONCE | {"FN"}  # FN in 3.0 only
