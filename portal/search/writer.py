"""Writing an index generation's Whoosh segment in bulk (used only by the build).

Whoosh's writer handles each posting — each word of each document — some ten
times in Python: a tuple in its pool, a sort, a merge, a lookup of the
document's length, a pickle of its positions, a call per posting to the
postings writer. On 10,000 pages (five million postings) that took two
minutes. The text fields' postings are already gathered in arrays for the
champion lists (`ChampionBuilder`); from there they are written to the
segment a block at a time, in Whoosh's own format (`whoosh.codec.whoosh3`),
so that Whoosh reads them as it reads any segment: its searcher, its
doc-frequency and idf figures, its lexicon work on the result unchanged.

Their positions are not in Whoosh's postings but in the champion lists'
folder (`ChampionLists.positions`), as arrays. Every other field (ids, the
vocabulary document) goes through Whoosh's own pool.

This relies on Whoosh 2.7's segment writer and W3 postings writer beyond their
documented interface (`_flush_segment`, the block buffer of
`W3PostingsWriter`): `whoosh-reloaded` is frozen at 2.7.5, and
`tests/unit/test_bulk_writer.py` holds the result equal, posting for
posting, to what Whoosh's own writer produces.
"""

from __future__ import annotations

from array import array

import numpy as np
from whoosh.writing import SegmentWriter

from .champions import FIELDS, ChampionBuilder


class BulkWriter(SegmentWriter):
    """A segment writer whose text fields (`champions.FIELDS`) are analysed and
    collected by `builder` beforehand (`ChampionBuilder.analyse`), and written in
    blocks at commit."""

    def __init__(self, ix, builder: ChampionBuilder, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        self.builder = builder

    def add_document(self, **fields) -> None:
        """As Whoosh's, for this index's fields: no vectors, no spelling field, no
        columns but the lengths; `_boost` is the only boost. The text fields are
        stored (when the schema says so) and their lengths, `_lengths`, recorded: the
        builder holds their postings."""
        self._check_state()
        schema = self.schema
        docnum = self.docnum
        boost = float(fields.pop("_boost", 1.0))
        text_lengths = fields.pop("_lengths", {})
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        try:
            for name in sorted(fields):
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if name in FIELDS:
                    length = text_lengths.get(name, 0)
                elif field.indexed:
                    for text, frequency, weight, value_bytes in field.index(value):
                        self.pool.add((name, text, docnum, weight * boost, value_bytes))
                        if field.scorable:
                            length += frequency
                perdoc.add_field(name, field, value if field.stored else None, length)
        except BaseException:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        # The pool holds the fields without lengths (ids, the vocabulary): Whoosh would
        # look up a length of 0 for each of their postings, which `None` gives at once.
        assert not any(self.schema[name].scorable for name in self.schema.names()
                       if name not in FIELDS), "a scored field outside the bulk fields"
        self.fieldwriter.add_postings(self.schema, None, self.pool.iter_postings())
        for name in FIELDS:
            self._write_field(name)
        self.fieldwriter.close()

    def _write_field(self, name: str) -> None:
        """One text field's postings, word after word, a block at a time: what
        `W3PostingsWriter.add_posting` would have buffered one posting at a time."""
        every = self.builder.postings(name)
        writer = self.fieldwriter
        writer.start_field(name, self.schema[name])
        postings = writer._postwriter
        size = postings._blocklimit
        offsets = every.offsets.tolist()
        lengths = every.lengths
        for t, word in enumerate(every.names):
            writer.start_term(word.encode("utf-8"))
            for start in range(offsets[t], offsets[t + 1], size):
                if len(postings):  # the block before: full, and not the last
                    postings._write_block()
                docs = every.docs[start : min(start + size, offsets[t + 1])]
                weights = every.weights[start : start + len(docs)]
                in_docs = lengths[docs]
                postings._ids = array("I", docs.astype(np.uint32).tobytes())
                postings._weights = array("f", weights.astype(np.float32).tobytes())
                postings._values = []
                postings._minlength = int(in_docs.min())
                postings._maxlength = int(in_docs.max())
                postings._maxweight = float(weights.max())
            writer.finish_term()  # writes the last block
        writer.finish_field()
