"""Where the last run stopped in each log, and where those lines went when the log was rotated."""

from __future__ import annotations

import hashlib
import json
import os
from typing import BinaryIO, NamedTuple

from cronchecks.core.errors import CheckError

HEAD = 1024  # the first bytes, hashed: which file this is, whatever its inode or device
TAIL = 256  # the bytes before the offset, hashed: the content we stopped at is still there
STATE_VERSION = 1
COMPRESSED = (".gz", ".bz2", ".xz")


class Mark(NamedTuple):
    """Where reading stopped in one log, and how to recognise that file again."""

    inode: int | None  # None: whatever is at the path next is a new file, read from 0
    offset: int
    head: str  # sha256 of the first head_length bytes
    head_length: int
    tail: str  # sha256 of the tail_length bytes before offset
    tail_length: int
    # The log's mtime then: when the file was empty (nothing to hash), the generations
    # rotated since are those written after it (logrotate keeps mtimes when it compresses).
    seen_at: float = 0.0

    def as_json(self) -> dict:
        return self._asdict()


FRESH = Mark(None, 0, "", 0, "", 0)


def fresh_mark(path: str) -> Mark:
    """The mark for a log whose old file was read to its end: whatever comes at the path is new."""
    times = [_mtime(c) for c in rotated_candidates(path)]
    return FRESH._replace(seen_at=max(times, default=0.0))


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


class Segment(NamedTuple):
    """A stretch of a file to scan: from `start` to its end (a compressed file: decompressed offsets)."""

    path: str
    start: int
    live: bool  # the file at the watched path (as opposed to its rotated predecessor)
    note: str = ""


class Plan(NamedTuple):
    """What to read for one log this run, and what happened to it since the last one."""

    segments: tuple[Segment, ...]
    note: str = ""  # "initialized", "rotated to app.log.1", "truncated", ...
    initial: Mark | None = None  # the first run without --from-start: the mark to keep, nothing read


# --- the state file ---------------------------------------------------------------------------


STATE_FILE_LIMIT = 16 * 1024 * 1024  # marks for thousands of logs; a big file here was named by mistake


def load(path: str) -> dict[str, Mark]:
    """The marks kept by the last run (none when the state file does not exist yet)."""
    return load_all(path)[0]


def load_all(path: str) -> tuple[dict[str, Mark], dict]:
    """The marks kept by the last run, and what else it kept (the journal's cursor, --sticky, pending hits)."""
    from cronchecks.core.files import FileRefused, read_bounded

    try:
        data = json.loads(read_bounded(path, STATE_FILE_LIMIT))
    except FileNotFoundError:
        return {}, {}
    except FileRefused as error:
        raise CheckError(f"--state {path} is not a check-log state file ({error}); "
                         "move it away to start anew") from None
    except (OSError, ValueError) as error:
        raise CheckError(f"cannot read --state {path}: {getattr(error, 'strerror', None) or error}") from None
    try:
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"version {data.get('version')!r}")
        marks = {name: Mark(**fields) for name, fields in data["files"].items()}
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise CheckError(f"--state {path} is not a check-log state file ({error}); "
                         f"move it away to start anew") from None
    extra = {key: data[key] for key in EXTRA_KEYS if isinstance(data.get(key), dict | list)}
    return marks, extra


# Kept beside the marks; a state file without them (an older one) is still read.
EXTRA_KEYS = ("journal", "sticky", "pending")


def save(path: str, marks: dict[str, Mark], extra: dict | None = None) -> None:
    """Write the state atomically: a crash leaves the old state or the new one, never half of one."""
    from cronchecks.support.atomicfile import PRIVATE, write_atomically

    document: dict = {"version": STATE_VERSION, "files": {k: v.as_json() for k, v in sorted(marks.items())}}
    document.update({key: value for key, value in (extra or {}).items() if key in EXTRA_KEYS and value is not None})
    payload = json.dumps(document, indent=1).encode()
    try:
        write_atomically(path, payload, PRIVATE)  # where logs were read up to is nobody else's business
    except OSError as error:
        raise CheckError(f"cannot write --state {path}: {error.strerror or error}") from None


# --- recognising files ------------------------------------------------------------------------


def open_log(path: str) -> BinaryIO:
    """A log opened for reading, decompressed when its name says it is compressed."""
    if path.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")  # type: ignore[return-value]
    if path.endswith(".bz2"):
        import bz2

        return bz2.open(path, "rb")  # type: ignore[return-value]
    if path.endswith(".xz"):
        import lzma

        return lzma.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb", buffering=0)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_at(handle: BinaryIO, offset: int, length: int) -> bytes:
    handle.seek(offset)
    data = b""
    while len(data) < length:
        piece = handle.read(length - len(data))
        if not piece:
            break
        data += piece
    return data


def mark_for(path: str, offset: int) -> Mark:
    """The mark of a file read up to `offset`."""
    with open(path, "rb") as handle:
        inode = os.fstat(handle.fileno()).st_ino
        head = _read_at(handle, 0, min(offset, HEAD))
        tail_length = min(offset, TAIL)
        tail = _read_at(handle, offset - tail_length, tail_length)
        seen_at = os.fstat(handle.fileno()).st_mtime
    return Mark(inode, offset, _digest(head), len(head), _digest(tail), len(tail), seen_at)


def rotated_since(path: str, mark: Mark) -> list[str]:
    """The generations written after the mark was taken, oldest first (for a log that was empty then)."""
    return [c for c in reversed(rotated_candidates(path)) if _mtime(c) > mark.seen_at]


def _holds(handle: BinaryIO, mark: Mark, check_tail: bool) -> bool:
    """Whether an open file starts like the marked one (and has the same bytes before the offset)."""
    if mark.head_length == 0:
        return False
    if _digest(_read_at(handle, 0, mark.head_length)) != mark.head:
        return False
    if not check_tail or mark.tail_length == 0:
        return True
    tail = _read_at(handle, mark.offset - mark.tail_length, mark.tail_length)
    return len(tail) == mark.tail_length and _digest(tail) == mark.tail


def _same_content(path: str, mark: Mark, size: int) -> bool:
    if size < mark.offset:
        return False
    try:
        with open_log(path) as handle:
            return _holds(handle, mark, check_tail=not path.endswith(COMPRESSED))
    except (OSError, EOFError, ValueError):  # a corrupt or half-written archive is not ours
        return False


def rotated_candidates(path: str) -> list[str]:
    """Files beside the log that rotation may have made of it, newest generation first.

    `app.log.1`, `app.log.2.gz` (numbered: 1 is the newest), `app.log-20261124` (dateext:
    the latest date is the newest), `app-20261124.log` (dateext with `extension .log`).
    """
    folder, name = os.path.split(os.path.abspath(path))
    stem, dot, _ = name.rpartition(".")
    prefixes = {name}
    if dot and stem:
        prefixes.add(stem)
    numbered: list[tuple[int, str]] = []
    dated: list[str] = []
    try:
        entries = os.scandir(folder)
    except OSError:
        return []
    with entries:
        for entry in entries:
            if entry.name == name or not any(entry.name.startswith(p) for p in prefixes):
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            core = entry.name
            for suffix in COMPRESSED:
                core = core.removesuffix(suffix)
            generation = core.rpartition(".")[2]
            if core.startswith(name + ".") and generation.isdigit() and len(generation) < 6:
                numbered.append((int(generation), entry.path))
            elif any(_dated_after(entry.name, prefix) for prefix in prefixes):
                dated.append(entry.path)
    return [p for _, p in sorted(numbered)] + sorted(dated, reverse=True)


def _dated_after(name: str, prefix: str) -> bool:
    # `app.log-20261124`, `app-2026-11-24.log`: a separator and a digit after the name. Anything
    # else that merely starts like it (`app.state`, `s.log` beside `st`) is not a generation of it.
    rest = name[len(prefix):]
    return name.startswith(prefix) and len(rest) > 1 and rest[0] in "-._" and rest[1].isdigit()


def find_rotated(path: str, mark: Mark) -> tuple[list[str], str]:
    """The file that now holds what was at `path` when `mark` was taken, then the generations rotated after it.

    By inode first (renamed, not yet compressed), then by content (a copy made by
    copytruncate, or a compressed file, whose inode is new). The later generations (the
    log rotated more than once since the last run) are returned oldest first.
    """
    candidates = rotated_candidates(path)
    for index, candidate in enumerate(candidates):
        if candidate.endswith(COMPRESSED):
            continue
        try:
            info = os.stat(candidate)
        except OSError:
            continue
        if info.st_ino == mark.inode and info.st_size >= mark.offset:
            return [candidate, *reversed(candidates[:index])], "renamed"
    for index, candidate in enumerate(candidates):
        try:
            size = os.stat(candidate).st_size
        except OSError:
            continue
        compressed = candidate.endswith(COMPRESSED)
        if _same_content(candidate, mark, mark.offset if compressed else size):
            return [candidate, *reversed(candidates[:index])], "compressed" if compressed else "copied"
    if mark.head_length == 0:
        # The file was empty when last read: every generation rotated since holds only new
        # lines, the oldest of them being that file itself.
        newer = rotated_since(path, mark)
        if newer:
            return newer, "rotated while empty"
    return [], ""


# --- what to read this run --------------------------------------------------------------------


def end_of_last_line(path: str, size: int, chooser=None) -> int:
    """The offset just after the file's last complete line (where a first run starts).

    `chooser` is what --encoding made (cronchecks.log.encoding.choose); None: auto.
    """
    if size == 0:
        return 0
    from cronchecks.log.encoding import encoding_of
    from cronchecks.log.encoding import end_of_last_line as end_of_last_encoded_line

    with open(path, "rb") as handle:
        encoding = (chooser or encoding_of)(handle)
        if encoding is not None and not encoding.raw:
            return end_of_last_encoded_line(handle, size, encoding)
        position = size
        while position > 0:
            start = max(0, position - 65536)
            block = _read_at(handle, start, position - start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            position = start
    return 0


def plan(path: str, mark: Mark | None, from_start: bool, chooser=None) -> Plan:
    """The segments to read for the log at `path`, given where the last run stopped.

    The live file is ours still when it starts with the same bytes and holds the same
    bytes just before the offset (inode and device may change: a reboot, a rewrite in
    place). Otherwise it was rotated: the rest of the old file is read from wherever it
    went, then the new file from its start. A file that only shrank was truncated.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    if mark is None:
        if info is None:
            return Plan((), "missing", FRESH)
        if from_start:
            return Plan((Segment(path, 0, True),), "")
        position = end_of_last_line(path, info.st_size, chooser)
        return Plan((), "initialized", mark_for(path, position))
    if mark.inode is None:  # the last run saw the file rotated away: whatever is here now is new
        newer = [Segment(c, 0, False, "rotated since") for c in rotated_since(path, mark)]
        live = (Segment(path, 0, True),) if info else ()
        return Plan((*newer, *live), "" if info else "missing")
    if info is not None:
        if mark.head_length == 0 and info.st_ino == mark.inode:
            # Empty when last read, so nothing to recognise it by but its inode; copytruncate
            # keeps the inode, so generations rotated since are read first.
            rotated_paths = rotated_since(path, mark)
            segments = [Segment(candidate, 0, False, "rotated since") for candidate in rotated_paths]
            note = f"rotated {len(rotated_paths)} time(s) while empty" if rotated_paths else ""
            return Plan((*segments, Segment(path, 0, True)), note)
        if mark.head_length and _same_content(path, mark, info.st_size):
            return Plan((Segment(path, mark.offset, True),), "")
    rotated, how = find_rotated(path, mark)
    segments = []
    if rotated:
        old = os.path.basename(rotated[0])
        segments.append(Segment(rotated[0], mark.offset, False, f"{how} to {old}"))
        segments.extend(Segment(later, 0, False, "rotated since") for later in rotated[1:])
        note = f"rotated ({how} to {old})"
        if len(rotated) > 1:
            note += f", then {len(rotated) - 1} more time(s)"
    elif info is not None and info.st_ino == mark.inode:
        note = "truncated"
    else:
        note = "replaced (the old file was not found beside it)"
    if info is not None:
        segments.append(Segment(path, 0, True))
    return Plan(tuple(segments), note)
