"""Counting matching lines (or records) in a byte stream, a large chunk at a time."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from cronchecks.log.match import CandidateFinder, Pattern
from cronchecks.log.timewindow import TimeReader

CHUNK = 128 * 1024  # stays in the CPU's L2 cache between the passes over it (2-4x faster than 1 MiB+)
# A file at least this large (from where the scan starts) is cut into pieces scanned side by side, one
# process a core: counting newlines is what a full scan spends most on, and it cannot share a core.
SPLIT_MIN = 64 * 1024 * 1024
LONGEST_CARRY = 16 * 1024 * 1024  # a "line" longer than this is cut for matching (lines are still counted right)
SHOWN_LINE = 120


def trim_line(raw: bytes) -> str:
    """A line as a summary shows it: decoded, control characters blanked, ~120 characters."""
    text = raw.decode("utf-8", "replace").rstrip("\r")
    text = "".join(ch if ch.isprintable() else " " for ch in text[:SHOWN_LINE * 2]).strip()
    return text if len(text) <= SHOWN_LINE else text[:SHOWN_LINE - 3] + "..."


class ByteSource(Protocol):
    """What the scanner reads from: a raw file, a decompressor, or a log decoded to UTF-8."""

    def readinto(self, buffer: memoryview, /) -> int | None: ...


class Tally:
    """What a scan found; tallies of several files add up."""

    __slots__ = (
        "bytes",
        "cleared",
        "critical",
        "lines",
        "newest_line",
        "newest_source",
        "ok_line",
        "per_pattern",
        "recent_lines",
        "total",
        "warning",
    )

    def __init__(self, patterns: int, keep: int) -> None:
        self.lines = 0
        self.bytes = 0
        self.total = 0
        self.per_pattern = [0] * patterns
        self.critical = 0
        self.warning = 0
        self.newest_line: bytes | None = None  # raw: decoded only for the summary, at the end
        self.newest_source = ""
        self.recent_lines: deque[bytes] = deque(maxlen=max(keep, 1))
        self.cleared = False  # an --ok-pattern line was seen: what came before it no longer counts
        self.ok_line: bytes | None = None  # the newest such line

    def clear(self, ok_line: bytes) -> None:
        """An ok line: the problems found so far are gone (the lines and bytes read stay counted)."""
        self.total = self.critical = self.warning = 0
        self.per_pattern = [0] * len(self.per_pattern)
        self.newest_line = None
        self.newest_source = ""
        self.recent_lines.clear()
        self.cleared = True
        self.ok_line = ok_line

    def add(self, other: Tally, follows: bool = False) -> None:
        """Add another tally; `follows`: it is the next stretch of the same log, so its ok line clears this one."""
        if follows and other.cleared:
            assert other.ok_line is not None
            self.clear(other.ok_line)
        elif other.cleared:
            self.cleared = True
            self.ok_line = other.ok_line
        self.lines += other.lines
        self.bytes += other.bytes
        self.total += other.total
        self.per_pattern = [a + b for a, b in zip(self.per_pattern, other.per_pattern, strict=True)]
        self.critical += other.critical
        self.warning += other.warning
        if other.newest_line is not None:
            self.newest_line, self.newest_source = other.newest_line, other.newest_source
        self.recent_lines.extend(other.recent_lines)

    @property
    def newest(self) -> str | None:
        """The newest matching line (a record's first line), as the summary shows it."""
        return None if self.newest_line is None else trim_line(self.newest_line)

    @property
    def recent(self) -> list[str]:
        return [trim_line(line) for line in self.recent_lines]


class LogScanner:
    """Counts records matching the patterns in buffers fed to it in order.

    A record is a line, or with `record_start` a line matching it plus the lines after it
    that do not (a stack trace with its message). A record counts once however many of its
    lines match, and is ignored whole when any of its lines matches an exclude pattern.
    """

    def __init__(self, include: Sequence[Pattern], critical: Sequence[Pattern], warning: Sequence[Pattern],
                 exclude: Sequence[Pattern], record_start: Pattern | None = None, engine: str = "auto",
                 keep: int = 10, window: tuple[TimeReader, float] | None = None, *,
                 ok: Sequence[Pattern] = (), critical_exceptions: Sequence[Pattern] = (),
                 warning_exceptions: Sequence[Pattern] = (), critical_threshold: int = 1,
                 warning_threshold: int = 1) -> None:
        self.include = list(include)
        self.critical = list(critical)
        self.warning = list(warning)
        self.exclude = list(exclude)
        self.ok = list(ok)
        self.critical_exceptions = list(critical_exceptions)
        self.warning_exceptions = list(warning_exceptions)
        # check_logfiles' thresholds: of every N hits of a level, the Nth counts. The hits
        # still short of it are carried (in --state) to the next run; an ok line drops them.
        self.thresholds = (max(1, critical_threshold), max(1, warning_threshold))
        self.pending = [0, 0]  # hits of each level not counted yet
        self.rules = bool(self.ok or self.critical_exceptions or self.warning_exceptions or max(self.thresholds) > 1)
        self.record_start = record_start
        self.finder = CandidateFinder([*self.include, *self.critical, *self.warning, *self.ok], engine)
        self.fold = self.finder.needs_fold or any(p.ignore_case and p.literal is not None for p in
                                                   [*self.include, *self.critical, *self.warning, *self.exclude,
                                                    *self.ok, *self.critical_exceptions, *self.warning_exceptions])
        self.keep = keep
        self.window = window
        self.inherited_stamp: float | None = None  # of the last stamped line fed so far

    # --- streams ------------------------------------------------------------------------

    def scan(self, handle: ByteSource, limit: int | None, source: str,
             progress: Callable[[int], None] | None = None, stop_at_partial_line: bool = False) -> tuple[Tally, int]:
        """Scan a binary stream from where it stands, up to `limit` bytes (None: to its end).

        Returns the tally and how many bytes were taken. With `stop_at_partial_line`, an
        unfinished last line (a writer in the middle of it) is left for the next run.
        """
        tally = Tally(len(self.include), self.keep)
        buf = bytearray(CHUNK)
        held = 0  # bytes at the front of buf carried over from the previous round
        taken = 0
        remaining = limit
        while True:
            if held == len(buf):  # one line (or record) fills the buffer: make room
                buf.extend(bytes(len(buf)))
            elif len(buf) > CHUNK and held < CHUNK // 2:
                del buf[CHUNK:]
            want = len(buf) - held if remaining is None else min(len(buf) - held, remaining)
            with memoryview(buf) as view:
                got = (handle.readinto(view[held:held + want]) or 0) if want > 0 else 0
            if remaining is not None:
                remaining -= got
            end = held + got
            final = got == 0 or (remaining is not None and remaining <= 0)
            if final and stop_at_partial_line:
                end = buf.rfind(b"\n", 0, end) + 1
            consumed = self.feed(buf, end, final, tally, source)
            taken += consumed
            if progress is not None:
                progress(taken)
            if final:
                break
            held = end - consumed
            if held and consumed:
                buf[:held] = buf[consumed:end]
        tally.bytes = taken
        return tally, taken

    # --- one buffer ---------------------------------------------------------------------

    def feed(self, buf: bytearray, end: int, final: bool, tally: Tally, source: str) -> int:
        """Count what is complete in buf[:end]; return how many bytes were used (the rest is carried)."""
        if final:
            cut = end
        else:
            cut = buf.rfind(b"\n", 0, end) + 1
            if self.record_start is not None and cut:
                record_cut = self._last_record_start(buf, cut)
                if record_cut > 0 or end < LONGEST_CARRY:
                    cut = record_cut  # else one record outgrew the carry: cut it at a line
            if cut == 0:
                if end < LONGEST_CARRY:
                    return 0
                cut = end  # a line longer than any sane one: match it in pieces
        if cut == 0:
            return 0
        tally.lines += buf.count(b"\n", 0, cut)
        if final and buf[cut - 1] != 0x0A:
            tally.lines += 1
        folded = bytes(memoryview(buf)[:cut]).lower() if self.fold else None
        last_end = -1
        for hit in self.finder.lines(buf, folded, cut):
            if hit.start <= last_end:
                continue
            if self.record_start is not None:
                start, stop = self._record_around(buf, hit.start, hit.end, cut)
            else:
                start, stop = hit
            last_end = stop
            self._judge_record(buf, folded, start, stop, tally, source)
        if self.window is not None:
            self.inherited_stamp = self._stamp_of(buf, buf.rfind(b"\n", 0, cut - 1) + 1, cut)
        return cut

    def _judge_record(self, buf: bytearray, folded: bytes | None, start: int, stop: int, tally: Tally,
                      source: str) -> None:
        hits = [p.matches(buf, folded, start, stop) for p in self.include]
        critical = any(p.matches(buf, folded, start, stop) for p in self.critical)
        warning = any(p.matches(buf, folded, start, stop) for p in self.warning)
        ok = self.rules and any(p.matches(buf, folded, start, stop) for p in self.ok)
        if not (critical or warning or ok or any(hits)):
            return  # the engine's candidate was not a real match (a prefilter's false alarm)
        if any(p.matches(buf, folded, start, stop) for p in self.exclude):
            return
        if self.window is not None:
            cutoff = self.window[1]
            stamp = self._stamp_of(buf, start, stop)
            if stamp is None or stamp < cutoff:
                return
        line_end = buf.find(b"\n", start, stop)
        shown = bytes(buf[start:min(line_end if line_end >= 0 else stop, start + 4 * SHOWN_LINE)])
        if self.rules:  # check_logfiles' rules, only looked at when one is given (the scan's hot path)
            if ok:
                # As in check_logfiles, an ok line wins over a problem on the same line.
                tally.clear(shown)
                self.pending = [0, 0]
                return
            if critical and self.critical_exceptions:
                critical = not any(p.matches(buf, folded, start, stop) for p in self.critical_exceptions)
            if warning and self.warning_exceptions:
                warning = not any(p.matches(buf, folded, start, stop) for p in self.warning_exceptions)
            if critical and self.thresholds[0] > 1:
                critical = self._reaches(0)
            if warning and self.thresholds[1] > 1:
                warning = self._reaches(1)
            if not (critical or warning or any(hits)):
                return
        if any(hits):
            tally.total += 1
            for index, hit in enumerate(hits):
                if hit:
                    tally.per_pattern[index] += 1
        tally.critical += critical
        tally.warning += warning
        tally.newest_line = shown
        tally.newest_source = source
        tally.recent_lines.append(shown)

    def _reaches(self, level: int) -> bool:
        """One more hit of a level with a threshold: whether it is the one that counts."""
        self.pending[level] += 1
        if self.pending[level] < self.thresholds[level]:
            return False
        self.pending[level] = 0
        return True

    # --- records and timestamps -----------------------------------------------------------

    def _is_record_start(self, buf: bytearray, start: int, end: int) -> bool:
        assert self.record_start is not None
        return self.record_start.regex.match(buf, start, end) is not None

    def _record_around(self, buf: bytearray, start: int, end: int, cut: int) -> tuple[int, int]:
        """The record holding the line buf[start:end]: back to its start line, on to the next one."""
        while start > 0 and not self._is_record_start(buf, start, end):
            previous = buf.rfind(b"\n", 0, start - 1) + 1
            end = start - 1
            start = previous
        stop = buf.find(b"\n", start, cut)
        stop = cut if stop < 0 else stop
        while stop + 1 < cut:
            following_end = buf.find(b"\n", stop + 1, cut)
            following_end = cut if following_end < 0 else following_end
            if self._is_record_start(buf, stop + 1, following_end):
                break
            stop = following_end
        return start, stop

    def _last_record_start(self, buf: bytearray, cut: int) -> int:
        """Where the last record that may go on past `cut` begins (0: it began at the buffer's start)."""
        position = cut
        while position > 0:
            start = buf.rfind(b"\n", 0, position - 1) + 1
            if self._is_record_start(buf, start, position - 1):
                return start
            position = start
        return 0

    def _stamp_of(self, buf: bytearray, start: int, limit: int) -> float | None:
        """The timestamp of the line at `start`, else of the nearest stamped line before it.

        Lines without a timestamp (continuations, stack traces) belong to the line before,
        across buffers too (`inherited_stamp`).
        """
        assert self.window is not None
        reader = self.window[0]
        while True:
            end = buf.find(b"\n", start, limit)
            stamp = reader.stamp(buf, start, limit if end < 0 else end)
            if stamp is not None:
                return stamp
            if start == 0:
                return self.inherited_stamp
            limit = start - 1
            start = buf.rfind(b"\n", 0, limit) + 1


# --- one large file across the cores ------------------------------------------------------


def cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_split(scanner: LogScanner) -> bool:
    """Whether pieces of a log can be counted apart and added up: lines only, no order between them.

    Records (--record-start), the time window (lines inherit the stamp before them), and
    check_logfiles' rules (an ok line clears what came before; thresholds count hits in order)
    tie a line to those before it, so those scans stay in one piece.
    """
    return scanner.record_start is None and scanner.window is None and not scanner.rules


def split_points(fd: int, start: int, end: int, pieces: int) -> list[int]:
    """Where the pieces begin: near equal shares, each moved on to the start of a line."""
    import os

    points = [start]
    for number in range(1, pieces):
        position = start + (end - start) * number // pieces
        while position < end:
            block = os.pread(fd, CHUNK, position)
            if not block:
                position = end
                break
            newline = block.find(b"\n")
            if newline >= 0:
                position += newline + 1
                break
            position += len(block)
        if points[-1] < position < end:
            points.append(position)
    return points


class PieceReader:
    """Reads an open file from a position of its own (pread): the processes sharing the file's offset do not meet,
    and they all read the file that was opened, even if the path has been rotated away since."""

    def __init__(self, fd: int, offset: int) -> None:
        self.fd = fd
        self.offset = offset

    def readinto(self, buffer: memoryview, /) -> int:
        import os

        got = os.preadv(self.fd, [buffer], self.offset)
        self.offset += got
        return got


def scan_split(scanner: LogScanner, fd: int, start: int, end: int, source: str, deadline: float | None,
               progress: Callable[[int], None] | None = None, pieces: int = 2) -> Tally:
    """Scan bytes [start, end) of an open regular file in `pieces` processes side by side; their tallies in order.

    The first piece is scanned here, the others by forked children (the compiled patterns and the
    open file come with the fork), each sending back its tally. A child leaves at once when this
    process is gone or the deadline has passed, and this one waits no longer than the deadline,
    so a timed-out check leaves nothing running.
    """
    import os
    import pickle
    import time

    points = split_points(fd, start, end, pieces)
    bounds = list(zip(points, [*points[1:], end], strict=True))
    parent = os.getpid()
    children: list[tuple[int, int]] = []
    try:
        for low, high in bounds[1:]:
            reader, writer = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: scan its piece, send the tally, leave without running the parent's cleanup
                code = 0
                try:
                    os.close(reader)

                    def alive(_done: int) -> None:
                        if os.getppid() != parent or (deadline is not None and time.monotonic() > deadline):
                            os._exit(3)

                    found, _ = scanner.scan(PieceReader(fd, low), high - low, source, alive)
                    payload = pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)
                    with open(writer, "wb", closefd=True) as out:
                        out.write(payload)
                except BaseException:  # whatever went wrong, the parent sees no tally and says so
                    code = 1
                finally:
                    os._exit(code)
            os.close(writer)
            children.append((pid, reader))
        low, high = bounds[0]
        share = (high - low) or 1
        scale = (end - start) / share

        def shown(done: int) -> None:
            if progress is not None:
                progress(int(done * scale))  # the pieces go at about the same pace

        tally, _ = scanner.scan(PieceReader(fd, low), high - low, source, shown)
        while children:
            pid, reader = children[0]
            payload = _read_until(reader, deadline, source)
            os.close(reader)
            _, status = os.waitpid(pid, 0)
            children.pop(0)
            if status != 0 or not payload:
                from cronchecks.core.errors import CheckError

                raise CheckError(f"{source}: a worker scanning part of it failed (wait status {status})")
            tally.add(pickle.loads(payload), follows=True)
        if progress is not None:
            progress(end - start)
    finally:
        for pid, reader in children:  # an error on the way: end the children not yet reaped
            import contextlib
            import signal

            with contextlib.suppress(OSError):
                os.close(reader)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    return tally


def _read_until(reader: int, deadline: float | None, source: str) -> bytes:
    """All a worker sends, waiting no later than the deadline (a stuck worker must not hold the check)."""
    import os
    import select
    import time

    received = bytearray()
    while True:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and (wait <= 0 or not select.select([reader], [], [], wait)[0]):
            from cronchecks.core.errors import DeadlinePassed

            raise DeadlinePassed(f"{source}: the scan did not finish in time")
        block = os.read(reader, 1 << 20)
        if not block:
            return bytes(received)
        received += block
