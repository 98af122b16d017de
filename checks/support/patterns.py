"""User-supplied regular expressions, compiled for RE2 (linear time) with Python's regex meaning.

Python's `re` backtracks, and holds the interpreter while it does: `(x+x+)+y` over forty
`x` runs for minutes and the whole-run timeout's watchdog thread cannot even run. Every
pattern a user gives (check-http's --expect-body, check-integrity's --expect-regex, check-log's
`re` engine, `cronchecks run --on-fail-when`) is therefore compiled here for RE2, which
matches in time linear in the text and releases the interpreter lock while it does.

The pattern keeps Python's meaning: Python's own parser reads it (so what Python rejects is
rejected, with Python's message, and verbose mode, `{,n}`, `\\Z`, `\\uXXXX` and `[[:x:]]`
mean what they mean in Python), and the tree is written out again in RE2's syntax, with
Python's classes spelled out (`\\s` includes `\\v`; `\\d` and `\\w` are Unicode for text).
What RE2 cannot do in linear time (backreferences, lookaround, conditionals, atomic groups,
possessive repeats) is refused, naming the option: no fallback to `re` (see `compile_pattern`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from cronchecks.core.errors import UsageError

# Python's re flags, by value (importing `re` for them costs nothing: it is loaded at start-up anyway).
_IGNORECASE, _LOCALE, _MULTILINE, _DOTALL, _UNICODE, _VERBOSE, _ASCII = 2, 4, 8, 16, 32, 64, 256

# str.isspace() code points, which Python's `\s` matches in text (RE2's `\s` lacks \v and the Unicode ones).
_UNICODE_SPACE = [(0x09, 0x0D), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
                  (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000)]
_ASCII_SPACE = [(0x09, 0x0D), (0x20, 0x20)]
_ASCII_DIGIT = [(0x30, 0x39)]
_ASCII_WORD = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
_UNSUPPORTED = {
    "GROUPREF": "backreferences (\\1, (?P=name))",
    "GROUPREF_EXISTS": "conditional groups ((?(1)...))",
    "ASSERT": "lookahead and lookbehind ((?=...), (?<=...))",
    "ASSERT_NOT": "negative lookahead and lookbehind ((?!...), (?<!...))",
    "ATOMIC_GROUP": "atomic groups ((?>...))",
    "POSSESSIVE_REPEAT": "possessive repeats (*+, ++, ?+)",
}


class Found(NamedTuple):
    """Where a pattern matched: the span, and the text it matched."""

    begin: int
    finish: int
    text: Any

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish

    def group(self, index: int = 0) -> Any:
        if index != 0:
            raise IndexError("only the whole match is kept (group 0)")  # groups are compiled as (?:...)
        return self.text


class Regex:
    """A compiled user pattern: `search` and `match` as `re.Pattern` has them, in linear time."""

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, compiled: Any, pattern: str | bytes, flags: int) -> None:
        self._compiled = compiled
        self.pattern = pattern  # the user's source, as given (for messages, and Hyperscan)
        self.flags = flags  # in Python's re terms (check-log's literal prefilter reads Python's parse)

    def search(self, text: Any, pos: int = 0, endpos: int | None = None) -> Found | None:
        return self._run(self._compiled.search, text, pos, endpos)

    def match(self, text: Any, pos: int = 0, endpos: int | None = None) -> Found | None:
        return self._run(self._compiled.match, text, pos, endpos)

    def _run(self, method: Any, text: Any, pos: int, endpos: int | None) -> Found | None:
        shift = 0
        if endpos is not None and endpos < len(text):
            # Python reads text[:endpos] as the whole text ($, \b and \Z see its end); RE2 would look on
            # past endpos. One character of the left is kept: ^, \A and \b look back at it in both.
            shift = max(0, pos - 1)
            text, pos, endpos = text[shift:endpos], pos - shift, None
        found = method(text, pos) if endpos is None else method(text, pos, endpos)
        if found is None:
            return None
        begin, finish = found.span()
        return Found(begin + shift, finish + shift, found.group(0))

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r})"


def compile_pattern(option: str, pattern: str, *, multiline: bool = False, ignore_case: bool = False,
                    binary: bool = False, hint: str = "") -> Regex:
    """Compile a user's pattern for RE2 with Python's meaning, or raise UsageError naming `option`.

    `binary`: the pattern is matched against bytes, as a Python bytes pattern is (its UTF-8 bytes,
    one character a byte, ASCII classes); otherwise against text (str). Refused rather than run by
    `re` in a bounded way: a subprocess per pattern costs tens of milliseconds and a second
    interpreter, a thread cannot stop `re`, and every refused construct has a linear-time
    rewrite (or, in check-log, an --exclude pattern), which is also what Go's regexp (used by
    blackbox_exporter) asks of its users. `hint` is added to that refusal.
    """
    flags = (_MULTILINE if multiline else 0) | (_IGNORECASE if ignore_case else 0)
    source: str | bytes = pattern.encode("utf-8") if binary else pattern
    shown = _shown(pattern)
    try:
        import warnings
        from re import _parser  # type: ignore[attr-defined]  # private, but the only reader of Python's syntax

        with warnings.catch_warnings():
            # "Possible nested set" for `[[:alpha:]]`: a warning on stderr is no place to tell a user
            # that Python reads it as a set of characters; the README says so.
            warnings.simplefilter("ignore", FutureWarning)
            tree = _parser.parse(source, flags)
    except RecursionError:
        raise UsageError(f"invalid {option} {shown}: nested too deeply") from None
    except Exception as error:  # re.error, and OverflowError for a huge repeat count
        raise UsageError(f"invalid {option} {shown}: {error}") from None
    flags = tree.state.flags
    writer = _Writer(binary, option, shown, hint)
    try:
        translated = writer.sequence(tree, flags)
    except RecursionError:
        raise UsageError(f"invalid {option} {shown}: nested too deeply") from None
    import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

    options = re2.Options()
    options.log_errors = False  # RE2 would write its own copy of the error to stderr
    if binary:
        options.encoding = re2.Options.Encoding.LATIN1  # one byte one character, as Python's bytes patterns
    try:
        compiled = re2.compile(translated.encode("latin-1") if binary else translated, options)
    except re2.error as error:
        reason = error.args[0].decode("utf-8", "replace") if error.args and isinstance(error.args[0], bytes) \
            else str(error)
        raise UsageError(f"invalid {option} {shown}: {reason}") from None
    return Regex(compiled, source, flags & ~_UNICODE)


class _Writer:
    """Writes Python's parse tree of a pattern out again in RE2's syntax."""

    def __init__(self, binary: bool, option: str, shown: str, hint: str) -> None:
        from re import _constants  # type: ignore[attr-defined]  # private: the parse tree's opcodes

        self.c = _constants
        self.binary = binary
        self.option = option
        self.shown = shown
        self.hint = hint

    def refuse(self, what: str) -> UsageError:
        hint = f"; {self.hint}" if self.hint else ""
        return UsageError(f"invalid {self.option} {self.shown}: {what} are not supported (the pattern must run "
                          f"in linear time){hint}")

    def sequence(self, items: Any, flags: int) -> str:
        return "".join(self.item(op, arg, flags) for op, arg in items)

    def item(self, op: Any, arg: Any, flags: int) -> str:
        c = self.c
        if op is c.LITERAL:
            return self.literal(arg, flags)
        if op is c.NOT_LITERAL:
            return self.char_class([(c.NEGATE, None), (c.LITERAL, arg)], flags)
        if op is c.ANY:
            return "(?s:.)" if flags & _DOTALL else "[^\\n]"
        if op is c.IN:
            return self.char_class(arg, flags)
        if op is c.AT:
            return self.at(arg, flags)
        if op is c.BRANCH:
            return "(?:" + "|".join(self.sequence(branch, flags) for branch in arg[1]) + ")"
        if op is c.SUBPATTERN:
            _group, added, removed, body = arg
            return "(?:" + self.sequence(body, (flags | added) & ~removed) + ")"
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, high, body = arg
            count = f"{{{low},}}" if high is c.MAXREPEAT else f"{{{low}}}" if low == high else f"{{{low},{high}}}"
            return "(?:" + self.sequence(body, flags) + ")" + count + ("?" if op is c.MIN_REPEAT else "")
        raise self.refuse(_UNSUPPORTED.get(str(op), str(op).lower()))

    def at(self, code: Any, flags: int) -> str:
        c = self.c
        if code is c.AT_BEGINNING:
            return "(?m:^)" if flags & _MULTILINE else "\\A"
        if code is c.AT_END:
            # Python's `$` without MULTILINE also matches before a newline that ends the text.
            return "(?m:$)" if flags & _MULTILINE else "(?:\\n?\\z)"
        if code is c.AT_BEGINNING_STRING:
            return "\\A"
        if code is c.AT_END_STRING:
            return "\\z"
        if code is c.AT_BOUNDARY:
            return "\\b"
        if code is c.AT_NON_BOUNDARY:
            return "\\B"
        raise self.refuse(str(code).lower())

    def folds(self, flags: int) -> bool:
        return bool(flags & _IGNORECASE)

    def literal(self, code: int, flags: int) -> str:
        text = _char(code)
        if not self.folds(flags):
            return text
        if self.binary:  # Python folds only ASCII letters in a bytes pattern; RE2 would fold Latin-1 too
            char = chr(code)
            return f"[{char.lower()}{char.upper()}]" if char.isascii() and char.isalpha() else text
        return f"(?i:{text})"

    def char_class(self, items: list[Any], flags: int) -> str:
        c = self.c
        if self.binary:
            return self.byte_class(items, flags)
        negate = bool(items) and items[0][0] is c.NEGATE
        members: list[str] = []
        not_word = False
        ascii_only = bool(flags & _ASCII)
        for op, arg in items[1:] if negate else items:
            if op is c.LITERAL:
                members.append(_char(arg))
            elif op is c.RANGE:
                members.append(f"{_char(arg[0])}-{_char(arg[1])}")
            elif arg is c.CATEGORY_DIGIT:
                members.append(_ranges(_ASCII_DIGIT) if ascii_only else "\\p{Nd}")
            elif arg is c.CATEGORY_NOT_DIGIT:
                members.append(_ranges(_complement(_ASCII_DIGIT)) if ascii_only else "\\P{Nd}")
            elif arg is c.CATEGORY_SPACE:
                members.append(_ranges(_ASCII_SPACE if ascii_only else _UNICODE_SPACE))
            elif arg is c.CATEGORY_NOT_SPACE:
                members.append(_ranges(_complement(_ASCII_SPACE if ascii_only else _UNICODE_SPACE)))
            elif arg is c.CATEGORY_WORD:
                members.append(_ranges(_ASCII_WORD) if ascii_only else "\\p{L}\\p{N}_")
            elif arg is c.CATEGORY_NOT_WORD:
                if ascii_only:
                    members.append(_ranges(_complement(_ASCII_WORD)))
                else:
                    not_word = True  # not a union member in RE2: [^\p{L}\p{N}_] is a class of its own
            else:
                raise self.refuse(str(arg).lower())
        fold = "(?i:{})" if self.folds(flags) else "{}"
        if not not_word:
            return fold.format(f"[{'^' if negate else ''}{''.join(members)}]")
        if negate and members:
            return self.enumerated_class(items, flags)
        if negate:
            return "[\\p{L}\\p{N}_]"
        others = f"|{fold.format('[' + ''.join(members) + ']')}" if members else ""
        return f"(?:[^\\p{{L}}\\p{{N}}_]{others})"

    def enumerated_class(self, items: list[Any], flags: int) -> str:
        # `[^\W\d]` (letters and `_`) is \w minus \d, a difference RE2's classes cannot write: Python's
        # engine lists its members over every code point instead (~0.2 s, for such a class only).
        import re

        source = _class_source(items, self.c, wide=True).decode("ascii")
        probe = re.compile(f"[{source}]+", flags & (_IGNORECASE | _ASCII))
        pairs: list[tuple[int, int]] = []
        for first, last in ((0, 0xD7FF), (0xE000, 0x10FFFF)):  # surrogates are no text's characters
            every = "".join(map(chr, range(first, last + 1)))
            pairs.extend((first + found.start(), first + found.end() - 1) for found in probe.finditer(every))
        return f"[{_ranges(pairs)}]" if pairs else "[^\\x00-\\x{10ffff}]"

    def byte_class(self, items: list[Any], flags: int) -> str:
        # A bytes class has 256 possible members: ask Python's own engine which ones it matches, which
        # is exact for every category, negation and case folding.
        import re

        probe = re.compile(b"[" + _class_source(items, self.c) + b"]", flags & (_IGNORECASE | _LOCALE))
        members = [byte for byte in range(256) if probe.match(bytes((byte,)))]
        pairs = _pairs(members)
        return f"[{_ranges(pairs)}]" if pairs else "[^\\x00-\\x{ff}]"


def _class_source(items: list[Any], c: Any, *, wide: bool = False) -> bytes:
    """A class's members written back in Python's syntax, to be compiled on their own (`wide`: for text)."""
    names = {c.CATEGORY_DIGIT: b"\\d", c.CATEGORY_NOT_DIGIT: b"\\D", c.CATEGORY_SPACE: b"\\s",
             c.CATEGORY_NOT_SPACE: b"\\S", c.CATEGORY_WORD: b"\\w", c.CATEGORY_NOT_WORD: b"\\W"}
    out = bytearray()
    for op, arg in items:
        if op is c.NEGATE:
            out += b"^"
        elif op is c.LITERAL:
            out += (b"\\U%08x" if wide else b"\\x%02x") % arg
        elif op is c.RANGE:
            out += (b"\\U%08x-\\U%08x" if wide else b"\\x%02x-\\x%02x") % arg
        else:
            out += names[arg]
    return bytes(out)


def _shown(pattern: str, limit: int = 60) -> str:
    # A message is one line: a pattern of hundreds of groups is cut, not printed whole.
    return repr(pattern if len(pattern) <= limit else pattern[: limit - 3] + "...")


def _char(code: int) -> str:
    return f"\\x{{{code:x}}}"


def _ranges(pairs: list[tuple[int, int]]) -> str:
    return "".join(_char(low) if low == high else f"{_char(low)}-{_char(high)}" for low, high in pairs)


def _complement(pairs: list[tuple[int, int]], top: int = 0x10FFFF) -> list[tuple[int, int]]:
    out, low = [], 0
    for start, stop in pairs:
        if start > low:
            out.append((low, start - 1))
        low = stop + 1
    if low <= top:
        out.append((low, top))
    return out


def _pairs(members: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for member in members:
        if out and out[-1][1] == member - 1:
            out[-1] = (out[-1][0], member)
        else:
            out.append((member, member))
    return out

