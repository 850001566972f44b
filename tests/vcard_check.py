r"""A strict check of the vCards crm writes: each must be valid for its version (3.0 or 4.0).

Written apart from crmcli's own code (its own line parser), so a rule crmcli forgets fails here.
`problems(text, version)` lists what is wrong with one card; `check_card`, `check_cards` (a
stream of cards, as `crm export` prints) and `check_vdir` (one card per .vcf file) raise an
AssertionError naming every problem. The rules:

- CRLF line ends, physical lines of at most 75 octets, BEGIN first, END last, VERSION once
  (right after BEGIN in 4.0);
- names of letters, digits and dashes; parameters as NAME=VALUE; no control characters;
- FN at least once (exactly once in 3.0); N at most once (exactly once in 3.0); at most one
  BDAY, ANNIVERSARY, GENDER, KIND, REV, UID, PRODID;
- text escaped: no bare comma in FN, TITLE, ROLE, NOTE or an ORG component; only \\ \, \; \n
  escapes in FN, N, ORG, ADR, TITLE, ROLE, NOTE, CATEGORIES; N of 5 and ADR of 7 components;
- 3.0: no 4.0-only parameter (ALTID, PID, PREF, MEDIATYPE, SORT-AS, CALSCALE, GEO, TZ, INDEX,
  LEVEL, CC, LABEL), no VALUE=uri TEL, inline data as ENCODING=b with valid base64, no data: URI;
- 4.0: no ENCODING or CHARSET parameter, inline data as a data: URI with valid base64;
- what a CardDAV server does with it: vobject (Radicale's parser) reads and re-serialises it.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

_NAME = re.compile(r"(?:[A-Za-z0-9-]+\.)?[A-Za-z0-9-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_BARE_COMMA = re.compile(r"(?<!\\)(?:\\\\)*,")
_ESCAPE = re.compile(r"\\(.?)")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_DATA_URI = re.compile(r"data:[^,;]*(?:;[^,;]*)*;base64,(.*)", re.IGNORECASE)

INLINE_DATA = ("PHOTO", "LOGO", "SOUND", "KEY")
AT_MOST_ONCE = ("N", "BDAY", "ANNIVERSARY", "GENDER", "KIND", "REV", "UID", "PRODID")
NO_BARE_COMMA = ("FN", "TITLE", "ROLE", "NOTE", "ORG")
STRICT_TEXT = ("FN", "N", "ORG", "ADR", "TITLE", "ROLE", "NOTE", "CATEGORIES")
ONLY_IN_4 = ("ALTID", "PID", "PREF", "MEDIATYPE", "SORT-AS", "CALSCALE", "GEO", "TZ", "INDEX",
             "LEVEL", "CC", "LABEL")
COMPONENTS = {"N": 5, "ADR": 7}


class Line:
    def __init__(self, text: str):
        head, self.value = _split_outside_quotes(text, ":", 1)
        name, *params = _split_outside_quotes(head, ";")
        self.group, _, self.name = name.upper().rpartition(".")
        self.text, self.name_ok = text, bool(_NAME.fullmatch(name))
        self.params: dict[str, list[str]] = {}
        self.bare_params = []
        for param in params:
            key, equals, values = param.partition("=")
            if not equals:
                self.bare_params.append(param)
            self.params.setdefault(key.upper(), []).extend(
                value.strip('"') for value in _split_outside_quotes(values, ","))

    def param(self, name: str) -> list[str]:
        return [value.lower() for value in self.params.get(name, [])]


def problems(text: str, version: str) -> list[str]:
    """Everything wrong with one written card, for `version`; [] when it is valid."""
    found = _physical(text, version)
    lines = [Line(line) for line in _unfold(text)[1:-1] if not line.upper().startswith(
        "VERSION:")]
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.name] = counts.get(line.name, 0) + 1
        found += [f"{line.text[:60]!r}: {problem}" for problem in _line_problems(line, version)]
    found += _cardinality(counts, version)
    found += _server_reads(text)
    return found


def check_card(text: str, version: str) -> None:
    found = problems(text, version)
    assert not found, f"invalid vCard {version}:\n" + "\n".join(found) + "\n" + text


def check_cards(text: str, version: str) -> int:
    """Check each card of a stream; the number of cards."""
    cards = re.findall(r"BEGIN:VCARD\r\n.*?END:VCARD\r\n", text, re.DOTALL | re.IGNORECASE)
    assert "".join(cards) == text, "text outside BEGIN:VCARD ... END:VCARD"
    for card in cards:
        check_card(card, version)
    return len(cards)


def check_vdir(folder: Path, version: str) -> int:
    """Check every .vcf file of a vdir (one card each); the number of files."""
    files = sorted(folder.glob("*.vcf"))
    for path in files:
        assert check_cards(path.read_bytes().decode("utf-8"), version) == 1, path
    return len(files)


def _physical(text: str, version: str) -> list[str]:
    found = []
    if not text.endswith("\r\n") or "\n" in text.replace("\r\n", "") or "\r" in text.replace(
            "\r\n", ""):
        found.append("lines must end in CRLF, and only there")
    physical = text.split("\r\n")
    if physical[0].upper() != "BEGIN:VCARD" or [line.upper() for line in physical[-2:]] != [
            "END:VCARD", ""]:
        found.append("must start BEGIN:VCARD and end END:VCARD")
    versions = [line.upper() for line in _unfold(text) if line.upper().startswith("VERSION:")]
    if versions != [f"VERSION:{version}"]:
        found.append(f"VERSION lines {versions}, not VERSION:{version}")
    if version == "4.0" and physical[1] != "VERSION:4.0":
        found.append("VERSION must come right after BEGIN in 4.0")
    found += [f"line longer than 75 octets: {line[:40]!r}" for line in physical
              if len(line.encode("utf-8")) > 75]
    return found


def _unfold(text: str) -> list[str]:
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def _split_outside_quotes(text: str, separator: str, most: int = -1) -> list[str]:
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted and most != 0:
            parts.append(current)
            current, most = "", most - 1
        else:
            current += char
    return [*parts, current]


def _line_problems(line: Line, version: str) -> list[str]:
    found = []
    if not line.name_ok:
        found.append("not a property name")
    if line.bare_params:
        found.append(f"parameters without a name: {line.bare_params}")
    if _CONTROL.search(line.value) or any(_CONTROL.search(v) for vs in line.params.values()
                                          for v in vs):
        found.append("control character")
    if line.name in NO_BARE_COMMA and _BARE_COMMA.search(line.value):
        found.append("bare comma in a text value (escape it: \\,)")
    if line.name in STRICT_TEXT:
        bad = {escape for escape in _ESCAPE.findall(line.value)
               if escape == "" or escape not in "\\,;nN"}  # "": a backslash at the end
        if bad:
            found.append(f"unknown escape in a text value: {sorted(bad)}")
    if line.name in COMPONENTS:
        parts = len(re.findall(r"(?<!\\)(?:\\\\)*;", line.value)) + 1
        if parts != COMPONENTS[line.name]:
            found.append(f"{line.name} has {parts} components, not {COMPONENTS[line.name]}")
    found += (_version_3 if version == "3.0" else _version_4)(line)
    return found


def _version_3(line: Line) -> list[str]:
    found = [f"4.0-only parameter {name} in 3.0" for name in ONLY_IN_4 if name in line.params]
    if line.name == "TEL" and "uri" in line.param("VALUE"):
        found.append("VALUE=uri TEL in 3.0")
    if line.name in INLINE_DATA:
        if line.value.lower().startswith("data:"):
            found.append("data: URI in 3.0 (write ENCODING=b)")
        if line.params.get("ENCODING"):
            if line.param("ENCODING") != ["b"]:
                found.append(f"ENCODING={line.params['ENCODING']} in 3.0 (only b)")
            found += _base64_problems(line.value)
        elif not _URI.match(line.value):
            found.append("inline data without ENCODING=b")
    if line.params.get("ENCODING") and line.name not in INLINE_DATA:
        found.append("ENCODING on a property that holds no binary data")
    return found


def _version_4(line: Line) -> list[str]:
    found = [f"{name} parameter in 4.0" for name in ("ENCODING", "CHARSET") if name in line.params]
    if line.name in INLINE_DATA:
        data = _DATA_URI.fullmatch(line.value)
        if line.value.lower().startswith("data:"):
            found += _base64_problems(data[1]) if data else ["malformed data: URI"]
        elif not _URI.match(line.value):
            found.append("inline data that is not a data: URI")
    return found


def _base64_problems(payload: str) -> list[str]:
    try:
        base64.b64decode(payload, validate=True)
    except binascii.Error:
        return ["inline data is not valid base64"]
    return []


def _cardinality(counts: dict[str, int], version: str) -> list[str]:
    found = []
    if counts.get("FN", 0) < 1 or (version == "3.0" and counts["FN"] > 1):
        found.append(f"{counts.get('FN', 0)} FN lines")
    if counts.get("N", 0) > 1 or (version == "3.0" and counts.get("N", 0) != 1):
        found.append(f"{counts.get('N', 0)} N lines")
    found += [f"{counts[name]} {name} lines" for name in AT_MOST_ONCE[1:]
              if counts.get(name, 0) > 1]
    return found


def _server_reads(text: str) -> list[str]:
    """Radicale reads a card with vobject and serialises it again; either may refuse it."""
    import vobject

    try:
        (card,) = list(vobject.readComponents(text))
        card.serialize()
    except Exception as problem:  # vobject raises many kinds
        return [f"vobject cannot read and write it again: {problem}"]
    return []


def check_export(args: list[str], stdout: str) -> None:
    """Check the vCards a successful `crm export ARGS` wrote: to stdout, -o FILE or --vdir.
    Any other command (its first word is not export, or it asks for help) is left alone."""
    command = next((arg for arg in args if not arg.startswith("-")), "")
    if command != "export" or {"--help", "-h"} & set(args):
        return
    options = _options(args[args.index("export") + 1:])
    if options.get("--format", "vcard") != "vcard":
        return
    version = options.get("--vcard-version", "3.0")
    if "--vdir" in options:
        check_vdir(Path(options["--vdir"]), version)
    elif options.get("--output", "-") != "-":
        check_cards(Path(options["--output"]).read_bytes().decode("utf-8"), version)
    else:  # the test runner hands stdout over with its CRs taken out
        check_cards(stdout.replace("\r\n", "\n").replace("\n", "\r\n"), version)


def _options(args: list[str]) -> dict[str, str]:
    short = {"-f": "--format", "-o": "--output"}
    options = {}
    for option, value in zip(args, [*args[1:], ""], strict=False):
        name, equals, inline = option.partition("=")
        name = short.get(name, name)
        if name in ("--format", "--output", "--vdir", "--vcard-version"):
            options[name] = inline if equals else value
    return options
