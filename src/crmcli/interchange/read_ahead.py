"""Reading vCards ahead of the import in a worker process, all but those it will skip.

A card imported before, of a contact unchanged since, is recognised by the digest of its text
and never read (see ``importer``). The cards come lazily (``Incoming.unread``); here they are
asked about a batch at a time (one query) before any goes to the worker, which reads only the
others while the importer writes (the worker starts only once a batch has a card to read: never
for a file imported before and unchanged). The importer asks again under its write lock: a card
taken for unchanged here but not there is read then, in its own process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain, islice, tee
from typing import TYPE_CHECKING

from crmcli.interchange.parallel_map import ordered_map

if TYPE_CHECKING:
    from crmcli.interchange.incoming import Incoming

BATCH = 250


def read_ahead(records: Iterator[Incoming],
               unrecognised: Callable[[list[Incoming]], list[Incoming]]) -> Iterator[Incoming]:
    """``records``, those still unread that ``unrecognised`` keeps read in a worker process
    when worthwhile (see ``parallel_map``). Records read already (CSV, JSON) pass through."""
    first = list(islice(records, BATCH))
    records = chain(first, records)
    if not any(record.unread for record in first):
        yield from records
        return
    sent, kept = tee(_flagged(records, unrecognised))
    reads = ordered_map(_read, (record.unread if wanted else None for record, wanted in sent),
                        local=_nothing_to_read)
    for (record, _), read in zip(kept, reads, strict=True):
        if read is not None:
            vars(record).update(vars(read))
        yield record


def _flagged(records: Iterator[Incoming],
             unrecognised: Callable[[list[Incoming]], list[Incoming]]
             ) -> Iterator[tuple[Incoming, bool]]:
    """Each record and whether it is to be read (asked a batch at a time)."""
    for batch in iter(lambda: list(islice(records, BATCH)), []):
        wanted = {id(record) for record in unrecognised(batch) if record.unread}
        yield from ((record, id(record) in wanted) for record in batch)


def _nothing_to_read(unread: Callable[[], Incoming] | None) -> bool:
    return unread is None


def _read(unread: Callable[[], Incoming] | None) -> Incoming | None:
    return unread() if unread is not None else None
