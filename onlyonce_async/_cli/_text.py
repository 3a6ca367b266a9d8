"""
Text from the network made safe to print: the one escaping helper of the command line.

A server's message (or any string in a response) can hold line breaks and terminal escape
sequences: printed raw, it could forge output lines ("shared with 1000 of 1000") or drive
the terminal. Everything the command line writes that came from the network goes through
`printable`.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

#: Characters str.isprintable() refuses can only be found one by one; this finds the
#: candidates fast (anything outside printable ASCII), and `_escape` decides.
_NOT_PLAIN_ASCII = re.compile(r"[^\x20-\x7e]")


def printable(text: str) -> str:
    """
    ``text`` with every non-printable character escaped as JSON does (``\\uXXXX``).

    Non-printable is Python's `str.isprintable` rule: control characters (line breaks,
    ESC, DEL, C1), format characters (bidirectional overrides), separators other than the
    space, private-use and unassigned code points. Other text, accents and emoji included,
    is unchanged, and the escapes are valid inside a JSON string.

    Args:
        text: Any text, typically from a response.

    Returns:
        One line of text that the terminal shows as written.
    """
    return _NOT_PLAIN_ASCII.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char.isprintable():
        return char
    code = ord(char)
    if code > 0xFFFF:  # a surrogate pair, as JSON writes it
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"
