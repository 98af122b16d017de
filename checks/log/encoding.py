"""Logs that start with a UTF-16 or UTF-32 byte-order mark, decoded to UTF-8 as they are scanned.

The scanner matches bytes, which is right for UTF-8 and every ASCII-compatible encoding; in
UTF-16 and UTF-32 `ERROR` is not the bytes `ERROR`, so such a log would never match. A file
whose first bytes are one of their byte-order marks is decoded instead, a chunk at a time.
`--state` offsets stay offsets in the original file (so the marks and rotation checks
read the file as it is); `--since` is refused for these files, since its binary search
reads timestamps at raw byte offsets.
"""

from __future__ import annotations

import codecs
from typing import BinaryIO, NamedTuple

from cronchecks.core.errors import CheckError

RAW_CHUNK = 128 * 1024  # a multiple of 4: no code unit of the original is split by a read


class Encoding(NamedTuple):
    """A byte-order-marked encoding: its name, its mark, its code unit and its newline."""

    name: str
    codec: str  # without its own BOM handling: the mark is skipped by offset
    bom: bytes
    unit: int
    newline: bytes


# UTF-32LE's mark begins with UTF-16LE's: the longer marks are tried first.
ENCODINGS = (
    Encoding("UTF-32LE", "utf-32-le", codecs.BOM_UTF32_LE, 4, "\n".encode("utf-32-le")),
    Encoding("UTF-32BE", "utf-32-be", codecs.BOM_UTF32_BE, 4, "\n".encode("utf-32-be")),
    Encoding("UTF-16LE", "utf-16-le", codecs.BOM_UTF16_LE, 2, "\n".encode("utf-16-le")),
    Encoding("UTF-16BE", "utf-16-be", codecs.BOM_UTF16_BE, 2, "\n".encode("utf-16-be")),
)


def encoding_of(handle: BinaryIO) -> Encoding | None:
    """The encoding a log's byte-order mark names (None: bytes as they are); leaves it at 0."""
    handle.seek(0)
    head = handle.read(4) or b""
    handle.seek(0)
    return next((e for e in ENCODINGS if head.startswith(e.bom)), None)


def end_of_last_line(handle: BinaryIO, size: int, encoding: Encoding) -> int:
    """The offset just after the last whole encoded newline: a byte 0x0A inside another
    character, or the wrong half of a code unit, is not a line's end."""
    position = size
    while position > len(encoding.bom):
        start = max(len(encoding.bom), position - 65536)
        start -= (start - len(encoding.bom)) % encoding.unit  # code units start after the mark
        handle.seek(start)
        block = handle.read(position - start) or b""
        found = block.rfind(encoding.newline)
        while found >= 0 and found % encoding.unit:
            found = block.rfind(encoding.newline, 0, found + len(encoding.newline) - 1)
        if found >= 0:
            return start + found + len(encoding.newline)
        position = start
    return len(encoding.bom)


class DecodedStream:
    """A binary stream of UTF-8 read from an encoded one, for the scanner's `readinto`.

    `original_length` turns what the scanner took (UTF-8 bytes, ending at a line's end)
    back into bytes of the original, for --state.
    """

    def __init__(self, raw: BinaryIO, encoding: Encoding) -> None:
        self._raw = raw
        self._encoding = encoding
        self._decoder = codecs.getincrementaldecoder(encoding.codec)("replace")
        self._out = b""
        self._out_position = 0
        self._produced = 0  # UTF-8 bytes made so far
        self._raw_decoded = 0  # original bytes behind them
        self._after_newline = (0, 0)  # (UTF-8, original) offsets just after the last newline made
        self._ended = False

    def readinto(self, view: memoryview) -> int:
        while self._out_position >= len(self._out):
            if self._ended:
                return 0
            chunk = self._raw.read(RAW_CHUNK) or b""
            self._ended = not chunk
            self._make(self._decoder.decode(chunk, final=self._ended))
        count = min(len(view), len(self._out) - self._out_position)
        view[:count] = self._out[self._out_position:self._out_position + count]
        self._out_position += count
        return count

    def _original_length(self, text: str) -> int:
        # Decoding replaced each bad code unit by U+FFFD, which takes one unit again, so
        # re-encoding gives the original's length (a surrogate pair stays two units).
        if self._encoding.unit == 4:
            return 4 * len(text)
        return len(text.encode(self._encoding.codec))

    def _make(self, text: str) -> None:
        newline = text.rfind("\n")
        if newline >= 0:
            head = text[:newline + 1]
            self._after_newline = (self._produced + len(head.encode("utf-8")),
                                   self._raw_decoded + self._original_length(head))
        self._out = text.encode("utf-8")
        self._out_position = 0
        self._produced += len(self._out)
        self._raw_decoded += self._original_length(text)

    def original_length(self, taken: int) -> int:
        """How many original bytes the first `taken` UTF-8 bytes came from."""
        if taken == 0:
            return 0
        if taken == self._after_newline[0]:
            return self._after_newline[1]
        if taken == self._produced:
            return self._raw_decoded
        # Only a line longer than the scanner's carry (16 MiB) is cut elsewhere than at its end.
        raise CheckError(f"a line of this {self._encoding.name} log is too long to remember where it ends")
