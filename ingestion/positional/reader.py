"""Streams a positional file as batches of decoded lines, in bounded memory whatever the file size.

The file is read in blocks; each block is cut at its last newline, decoded once (cp1252 is transcoded
to UTF-8, UTF-8 is validated by Arrow) and split into lines with one vectorised pass over the bytes.
Line terminators (LF or CRLF) are removed; line numbers are the physical line numbers of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

UTF8 = "utf-8"
CP1252 = "cp1252"
_BOM = b"\xef\xbb\xbf"
DEFAULT_BLOCK_BYTES = 8 << 20


@dataclass
class LineBatch:
    first_line: int  # 1-based physical line number of lines[0]
    lines: pa.StringArray
    # Lines that could not be decoded or were too long to hold: position in the batch -> reason.
    # Their text in ``lines`` is a lossless-as-possible rendering (undecodable bytes as \\xNN escapes).
    rejected: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lines)


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
        if block_bytes < 1 or max_line_bytes < 1:
            raise ValueError("block_bytes and max_line_bytes must be positive")
        self._stream = stream
        self._encoding: str | None = None if encoding == "auto" else encoding
        self._block_bytes = block_bytes
        self._max_line_bytes = max_line_bytes
        self._next_line = 1
        self.bytes_read = 0

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
            self.bytes_read += len(chunk)
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
        batch = LineBatch(self._next_line, pa.array([text], pa.string()), {0: f"line longer than {self._max_line_bytes} bytes"})
        self._next_line += 1
        return batch

    def _batch(self, block: bytes) -> LineBatch:
        """``block`` holds whole lines, each ending in a newline."""
        first = self._next_line
        text = block if block.isascii() else self._to_utf8(block)
        if text is None:
            batch = self._line_by_line(block, first)
        else:
            batch = LineBatch(first, _split_lines(text))
        self._next_line += len(batch)
        return batch

    def _to_utf8(self, block: bytes) -> bytes | None:
        """The block as UTF-8, or None when some line does not decode (handled line by line)."""
        if self._encoding in (None, UTF8) and _is_utf8(block):
            self._encoding = UTF8
            return block
        if self._encoding is None:
            self._encoding = CP1252
        if self._encoding == UTF8:
            return None
        try:
            return block.decode(self._encoding).encode(UTF8)
        except UnicodeDecodeError:
            return None

    def _line_by_line(self, block: bytes, first: int) -> LineBatch:
        encoding = self._encoding or UTF8
        texts: list[str] = []
        rejected: dict[int, str] = {}
        for index, raw in enumerate(block.split(b"\n")[:-1]):
            line = raw[:-1] if raw.endswith(b"\r") else raw
            try:
                texts.append(line.decode(encoding))
            except UnicodeDecodeError:
                texts.append(line.decode(encoding, errors="backslashreplace"))
                rejected[index] = f"undecodable bytes for encoding {encoding}"
        return LineBatch(first, pa.array(texts, pa.string()), rejected)


def _is_utf8(block: bytes) -> bool:
    try:
        pa.array([block], pa.binary()).cast(pa.string())
    except pa.ArrowInvalid:
        return False
    return True


def _split_lines(text: bytes) -> pa.StringArray:
    """Zero-copy view of newline-terminated lines, then one pass dropping the LF / CRLF terminators."""
    data = np.frombuffer(text, dtype=np.uint8)
    newlines = np.flatnonzero(data == 0x0A)
    offsets = np.empty(len(newlines) + 1, dtype=np.int32)
    offsets[0] = 0
    offsets[1:] = newlines + 1
    with_terminators = pa.Array.from_buffers(
        pa.string(), len(newlines), [None, pa.py_buffer(offsets), pa.py_buffer(text)]
    )
    stripped: pa.StringArray = pc.utf8_rtrim(with_terminators, characters="\r\n")
    return stripped
