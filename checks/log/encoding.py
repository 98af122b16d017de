"""A log's encoding (--encoding, or its byte-order mark), and logs decoded to UTF-8 as they are scanned.

The scanner matches bytes, which is right for UTF-8 (and, for ASCII patterns, every
ASCII-compatible encoding): that path stays as it is. In UTF-16 and UTF-32 `ERROR` is not
the bytes `ERROR`, and in Latin-1 `Größe` is not its UTF-8 bytes, so such a log is
decoded to UTF-8 instead, a chunk at a time, when its byte-order mark or --encoding says
so. `--state` offsets stay offsets in the original file (so the marks and rotation checks
read the file as it is); `--since` is refused for UTF-16 and UTF-32, since its binary
search reads timestamps at raw byte offsets.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import BinaryIO, NamedTuple

from cronchecks.core.errors import CheckError, UsageError

RAW_CHUNK = 128 * 1024  # a multiple of 4: no code unit of the original is split by a read


class Encoding(NamedTuple):
    """A byte-order-marked encoding: its name, its mark, its code unit and its newline."""

    name: str
    codec: str  # without its own BOM handling: the mark is skipped by offset
    bom: bytes
    unit: int
    newline: bytes
    raw: bool = False  # scanned as the bytes they are (UTF-8 with its mark): only the mark is skipped


# UTF-32LE's mark begins with UTF-16LE's: the longer marks are tried first.
ENCODINGS = (
    Encoding("UTF-32LE", "utf-32-le", codecs.BOM_UTF32_LE, 4, "\n".encode("utf-32-le")),
    Encoding("UTF-32BE", "utf-32-be", codecs.BOM_UTF32_BE, 4, "\n".encode("utf-32-be")),
    Encoding("UTF-16LE", "utf-16-le", codecs.BOM_UTF16_LE, 2, "\n".encode("utf-16-le")),
    Encoding("UTF-16BE", "utf-16-be", codecs.BOM_UTF16_BE, 2, "\n".encode("utf-16-be")),
)
UTF8_BOM = Encoding("UTF-8", "utf-8", codecs.BOM_UTF8, 1, b"\n", raw=True)
_BY_CODEC = {e.codec: e for e in ENCODINGS}

# A byte the codec cannot decode becomes U+DC00+byte, and back again when re-encoded, so a
# decoded log's length in its own bytes is always known (for --state) whatever it holds.
BYTES_KEPT = "cronchecks-log-bytes"


def _keep_bytes(error: UnicodeError) -> tuple[str | bytes, int]:
    if isinstance(error, UnicodeDecodeError):
        return "".join(chr(0xDC00 + b) for b in error.object[error.start:error.end]), error.end
    if isinstance(error, UnicodeEncodeError):
        chars = error.object[error.start:error.end]
        if all(0xDC00 <= ord(ch) <= 0xDCFF for ch in chars):
            return bytes(ord(ch) - 0xDC00 for ch in chars), error.end
    raise error


codecs.register_error(BYTES_KEPT, _keep_bytes)

Chooser = Callable[[BinaryIO], "Encoding | None"]


def choose(name: str | None) -> Chooser:
    """What --encoding NAME makes of a log: its Encoding (None: its bytes as they are).

    `auto` reads a byte-order mark (UTF-8, UTF-16, UTF-32) and otherwise takes the bytes as
    they are; a name Python's codecs do not know is a UsageError.
    """
    text = "auto" if name is None else name.strip()
    if not text:
        raise UsageError("empty --encoding (auto, utf-8, utf-16, latin-1, ...)")
    if text.lower() == "auto":
        return encoding_of
    try:
        info = codecs.lookup(text)
    except LookupError:
        raise UsageError(f"unknown --encoding {text!r} (auto, utf-8, utf-16, utf-16le, utf-16be, latin-1, "
                         f"cp1252 or any codec Python knows)") from None
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(f"--encoding {text!r} is not a text encoding")
    codec = info.name
    if codec in ("utf-8", "utf-8-sig", "ascii"):
        return lambda handle: UTF8_BOM if _head(handle).startswith(codecs.BOM_UTF8) else None
    if codec in ("utf-16", "utf-32"):
        # Without a mark: little-endian, as Windows writes them.
        marked = [e for e in ENCODINGS if e.unit == (2 if codec == "utf-16" else 4)]
        default = marked[0]._replace(bom=b"")
        return lambda handle: next((e for e in marked if _head(handle).startswith(e.bom)), default)
    if codec in _BY_CODEC:
        known = _BY_CODEC[codec]
        return lambda handle: known if _head(handle).startswith(known.bom) else known._replace(bom=b"")
    try:
        newline = "\n".encode(codec)
    except (UnicodeError, LookupError) as error:
        raise UsageError(f"--encoding {text!r} cannot encode a newline: {error}") from None
    _probe(text, codec)
    generic = Encoding(codec, codec, b"", 1, newline)
    return lambda handle: generic


def _probe(text: str, codec: str) -> None:
    """Refuse a codec whose decoded text, chunk by chunk, does not encode back to the same bytes.

    --state offsets are the file's own bytes, worked out by encoding again what was decoded;
    a codec for names (idna, punycode) refuses arbitrary bytes, and a stateful one (utf-7,
    iso2022_jp) writes the same text differently when it is cut in two.
    """
    try:
        sample = "ok Größe 接続 text\n".encode(codec, "ignore") + b"\xff\xfe\x80 end\n"
        middle = len(sample) // 2
        decoder = codecs.getincrementaldecoder(codec)(BYTES_KEPT)
        halves = [decoder.decode(sample[:middle]), decoder.decode(sample[middle:], final=True)]
        again = b"".join(half.encode(codec, BYTES_KEPT) for half in halves)
    except (UnicodeError, LookupError, TypeError, ValueError) as error:
        raise UsageError(f"--encoding {text!r} cannot decode a log: {error}") from None
    if again != sample:
        raise UsageError(f"--encoding {text!r} is not supported: its text cannot be mapped back to the file's "
                         f"bytes (a stateful encoding), which --state needs")


def ascii_compatible(encoding: Encoding | None) -> bool:
    """Whether timestamps and newlines are the same bytes as in ASCII (so --since can search raw bytes)."""
    if encoding is None or encoding.raw:
        return True
    sample = "0123456789-:.,/ TZ[]+\n"
    try:
        return sample.encode(encoding.codec) == sample.encode("ascii")
    except (UnicodeError, LookupError):
        return False


def _head(handle: BinaryIO) -> bytes:
    handle.seek(0)
    head = handle.read(4) or b""
    handle.seek(0)
    return head


def encoding_of(handle: BinaryIO) -> Encoding | None:
    """The encoding a log's byte-order mark names (None: bytes as they are); leaves it at 0."""
    head = _head(handle)
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
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
        # UTF-16/32: a bad code unit is U+FFFD, one unit again when re-encoded; others keep their bytes.
        self._errors = "replace" if encoding.codec in _BY_CODEC else BYTES_KEPT
        self._decoder = codecs.getincrementaldecoder(encoding.codec)(self._errors)
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
            try:
                self._make(self._decoder.decode(chunk, final=self._ended))
            except UnicodeError as error:  # a codec that refuses even with its errors handled
                raise CheckError(f"cannot read the log as {self._encoding.name}: {error}") from None
        count = min(len(view), len(self._out) - self._out_position)
        view[:count] = self._out[self._out_position:self._out_position + count]
        self._out_position += count
        return count

    def _original_length(self, text: str) -> int:
        # Decoding replaced each bad code unit by U+FFFD, which takes one unit again, so
        # re-encoding gives the original's length (a surrogate pair stays two units).
        if self._encoding.unit == 4:
            return 4 * len(text)
        return len(text.encode(self._encoding.codec, self._errors))

    def _make(self, text: str) -> None:
        newline = text.rfind("\n")
        if newline >= 0:
            head = text[:newline + 1]
            self._after_newline = (self._produced + len(head.encode("utf-8", BYTES_KEPT)),
                                   self._raw_decoded + self._original_length(head))
        self._out = text.encode("utf-8", BYTES_KEPT)
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
