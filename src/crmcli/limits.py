"""How much one value may hold: the size limits on everything that enters the book, in one
place. They protect memory and time (every parser runs on bounded input), and are generous
for real data; docs/contacts.md#limits lists them."""

from __future__ import annotations

import re

from crmcli.errors import InvalidInput

_SURROGATE = re.compile("[\ud800-\udfff]")

MAX_TEXT = 1_000_000  # characters of a note, an interaction's or a follow-up's text
MAX_FIELD = 65_536  # characters of any other value: a name, title, company, email, phone, tag...
MAX_VALUES = 1_000  # emails (and phones, addresses, URLs) per contact; more are skipped
MAX_CARD_LINES = 10_000  # properties of one vCard; more are skipped
MAX_FORM_BYTES = 16_000_000  # a form saved from $EDITOR (a contact's fields, a note)
MAX_RECORD_BYTES = 16_000_000  # one line of JSON Lines
MAX_JSON_BYTES = 256_000_000  # a JSON file, which is read whole (JSON Lines is not)
MAX_MAIL_HEADER_BYTES = 1_000_000  # the header block of one mail message
MAX_MAIL_BYTES = 64_000_000  # one whole mail message (attachments included)
MAX_MAIL_PARTS = 1_000  # MIME parts of one message read; the rest is ignored
MAX_MAIL_NESTING = 20  # levels of MIME parts within parts read; the rest is ignored
MAX_MESSAGE_ID = 255  # characters of a Message-ID kept as it is; a longer one is hashed


def check_text(what: str, text: str | None, limit: int = MAX_FIELD) -> None:
    """Refuse ``text`` longer than ``limit`` characters, or holding a lone surrogate (what a
    command line argument that is not UTF-8 turns into), naming ``what`` it is."""
    if text is None:
        return
    if len(text) > limit:
        raise InvalidInput(f"{what} is too long: {len(text):,} characters, the limit is "
                           f"{limit:,}")
    if surrogate := _SURROGATE.search(text):
        raise InvalidInput(f"{what} is not valid text: it holds \\u{ord(surrogate[0]):04x} "
                           "(bytes that are not UTF-8?)")
