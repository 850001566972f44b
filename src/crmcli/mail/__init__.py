"""Mail logged from where it already is: one message piped by a mail client (``crm log-mail``),
a Maildir, an mbox file or a folder of ``.eml`` files (``crm import-mail``).

- ``sources``: the messages of a path, each read only up to the end of its header block until
  it proves to concern a contact (Python's parser reads a whole file even for its headers).
- ``message``: what crm takes from a message (addresses, subject, date, the first lines of
  its text), decoded by the stdlib ``email`` package.
- ``capture``: which contacts a message concerns, what is logged once, what is bulk, and the
  correspondents who are not in the book yet.
"""
