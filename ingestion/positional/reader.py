"""Streams a positional file as batches of lines, in bounded memory whatever the file size.

The file is read in blocks cut at their last newline. Fixed-width positions count characters, so a
block is held as *code units of one character each*: the bytes themselves when the block is ASCII
(the common case, no copy), otherwise the decoded text as UTF-32 code points. Either way a record is
a run of ``record_length`` units and fields can be sliced for the whole batch at once with numpy.
Line terminators (LF or CRLF) are not part of a line; line numbers are physical line numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

UTF8 = "utf-8"
CP1252 = "cp1252"
ASCII = "ascii"
UCS4 = "utf-32-le"
# Bytes cp1252 leaves undefined; every other byte is one character.
_CP1252_UNDEFINED = tuple(bytes([byte]) for byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D))
_BOM = b"\xef\xbb\xbf"
DEFAULT_BLOCK_BYTES = 8 << 20
# Keeps every Arrow string buffer built from one block under the 2 GiB of 32-bit offsets.
MAX_BLOCK_BYTES = 256 << 20


@dataclass
class LineBatch:
    """Lines ``first_line .. first_line + len - 1`` of a file as fixed-size code units."""

    first_line: int
    units: np.ndarray  # one character per unit, terminators included: uint8 bytes or uint32 code points
    codec: str  # how units become text: ascii, cp1252 (uint8) or utf-32-le (uint32)
    starts: np.ndarray  # int64 offset of each line in ``units``
    lengths: np.ndarray  # int64 characters per line, terminator excluded
    # Lines that could not be decoded or were too long to hold: position in the batch -> reason.
    # Their text is a rendering with undecodable bytes as \\xNN escapes.
    rejected: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.starts)

    def text(self, index: int) -> str:
        start = int(self.starts[index])
        chunk = self.units[start : start + int(self.lengths[index])]
        return chunk.tobytes().decode(self.codec)

    def texts(self, indices: Sequence[int] | np.ndarray) -> list[str]:
        return [self.text(int(index)) for index in indices]

    @classmethod
    def from_texts(
        cls, lines: Sequence[str], first_line: int, rejected: dict[int, str] | None = None
    ) -> LineBatch:
        """A batch built from already decoded lines (held-back or control records)."""
        units = np.frombuffer(("\n".join(lines) + "\n").encode(UCS4), dtype=np.uint32)
        return _split(units, UCS4, first_line, rejected or {})


def _split(units: np.ndarray, codec: str, first_line: int, rejected: dict[int, str]) -> LineBatch:
    """``units`` holds whole lines, each ending in a newline."""
    uniform = _split_uniform(units, codec, first_line, rejected)
    if uniform is not None:
        return uniform
    newlines = np.flatnonzero(units == 0x0A)
    starts = np.empty(len(newlines), dtype=np.int64)
    starts[:1] = 0
    starts[1:] = newlines[:-1] + 1
    lengths = newlines - starts
    carriage = np.zeros(len(newlines), dtype=bool)
    nonempty = lengths > 0
    carriage[nonempty] = units[newlines[nonempty] - 1] == 0x0D
    return LineBatch(first_line, units, codec, starts, lengths - carriage, rejected)


def _split_uniform(
    units: np.ndarray, codec: str, first_line: int, rejected: dict[int, str]
) -> LineBatch | None:
    """Fast path for the usual block: every line has the same length and the same terminator."""
    first_newline = int(np.argmax(units == 0x0A)) if len(units) <= 4096 else _find_newline(units)
    stride = first_newline + 1
    if len(units) % stride:
        return None
    count = len(units) // stride
    if not np.all(units[first_newline::stride] == 0x0A) or int(np.count_nonzero(units == 0x0A)) != count:
        return None
    terminator = 1
    if first_newline and units[first_newline - 1] == 0x0D:
        if not np.all(units[first_newline - 1 :: stride] == 0x0D):
            return None
        terminator = 2
    starts = np.arange(0, len(units), stride, dtype=np.int64)
    return LineBatch(
        first_line, units, codec, starts, np.full(count, stride - terminator, dtype=np.int64), rejected
    )


def _find_newline(units: np.ndarray) -> int:
    head = units[:4096]
    hits = np.flatnonzero(head == 0x0A)
    return int(hits[0]) if len(hits) else int(np.argmax(units == 0x0A))


class LineReader:
    """Iterates :class:`LineBatch` objects over a binary stream.

    ``encoding`` is ``utf-8``, ``cp1252`` or ``auto``: a file is ASCII until its first non-ASCII block,
    which decides for the rest of the file (valid UTF-8 means UTF-8, anything else cp1252, the superset
    of latin-1 that Windows exports use). A line longer than ``max_line_bytes`` is reported as rejected
    with its first bytes, never buffered whole, so a file without newlines cannot exhaust memory.
    """

    def __init__(
        self,
        stream: BinaryIO,
        encoding: str = "auto",
        block_bytes: int = DEFAULT_BLOCK_BYTES,
        max_line_bytes: int = 1 << 20,
    ) -> None:
        if not 0 < block_bytes <= MAX_BLOCK_BYTES or max_line_bytes < 1:
            raise ValueError(f"block_bytes must be in 1..{MAX_BLOCK_BYTES} and max_line_bytes positive")
        self._stream = stream
        self._encoding: str | None = None if encoding == "auto" else encoding
        self._block_bytes = block_bytes
        self._max_line_bytes = max_line_bytes
        self._next_line = 1

    @property
    def encoding(self) -> str:
        """The encoding in use; ``ascii`` while an ``auto`` file has shown no other byte."""
        return self._encoding or "ascii"

    def __iter__(self) -> Iterator[LineBatch]:
        pending = b""
        skipping = False  # inside an over-long line already reported
        first_block = True
        while True:
            chunk = self._stream.read(self._block_bytes)
            if first_block and chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
                self._encoding = self._encoding or UTF8
            first_block = False
            if not chunk:
                if pending and not skipping:
                    yield self._batch(pending + b"\n")
                return
            if skipping:
                cut = chunk.find(b"\n")
                if cut < 0:
                    continue
                chunk, skipping = chunk[cut + 1 :], False
            data = pending + chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                pending = data
            else:
                pending = data[cut + 1 :]
                yield self._batch(data[: cut + 1])
            if len(pending) > self._max_line_bytes:
                yield self._overlong(pending)
                pending, skipping = b"", True

    def _overlong(self, head: bytes) -> LineBatch:
        text = head[:200].decode(self._encoding or UTF8, errors="backslashreplace") + "..."
        reason = f"line longer than {self._max_line_bytes} bytes"
        batch = LineBatch.from_texts([text], self._next_line, {0: reason})
        self._next_line += 1
        return batch

    def _batch(self, block: bytes) -> LineBatch:
        """``block`` holds whole lines, each ending in a newline."""
        first = self._next_line
        if block.isascii():
            batch = _split(np.frombuffer(block, dtype=np.uint8), ASCII, first, {})
        else:
            batch = self._decoded(block, first)
        self._next_line += len(batch)
        return batch

    def _decoded(self, block: bytes, first: int) -> LineBatch:
        if self._encoding in (None, UTF8):
            try:
                text = block.decode(UTF8)
            except UnicodeDecodeError:
                if self._encoding == UTF8:
                    return self._line_by_line(block, UTF8, first)
                self._encoding = CP1252
            else:
                # UTF-8 is variable-width; re-encoded as cp1252 (nearly all Portuguese text fits) or
                # else as code points, the block has one unit per character again.
                self._encoding = UTF8
                try:
                    return _split(np.frombuffer(text.encode(CP1252), dtype=np.uint8), CP1252, first, {})
                except UnicodeEncodeError:
                    return _split(np.frombuffer(text.encode(UCS4), dtype=np.uint32), UCS4, first, {})
        if any(undefined in block for undefined in _CP1252_UNDEFINED):  # a memchr each, no decoding
            return self._line_by_line(block, CP1252, first)
        return _split(np.frombuffer(block, dtype=np.uint8), CP1252, first, {})

    @staticmethod
    def _line_by_line(block: bytes, encoding: str, first: int) -> LineBatch:
        """Rare path: some line does not decode; it is rendered with escapes and rejected alone."""
        texts: list[str] = []
        rejected: dict[int, str] = {}
        for index, line in enumerate(block.split(b"\n")[:-1]):
            try:
                texts.append(line.decode(encoding))
            except UnicodeDecodeError:
                texts.append(line.decode(encoding, errors="backslashreplace"))
                rejected[index] = f"undecodable bytes for encoding {encoding}"
        return LineBatch.from_texts(texts, first, rejected)
