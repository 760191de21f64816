"""Reading a text statement (CSV, MT940) as a stream of decoded lines. Pure.

Vietnamese bank exports come as UTF-8 (with or without BOM), UTF-16 ("Unicode text" from
Excel) or Windows-1258. The encoding is chosen from the first 64 KiB; a byte sequence that
does not decode later on is a typed error, not a crash.
"""
from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import BinaryIO

from reconciliation.statements import statement_error

SNIFF_BYTES = 64 * 1024


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1258"


def text_lines(source: BinaryIO) -> Iterator[str]:
    """Decoded lines (newline kept off), read lazily from `source`."""
    head = source.read(SNIFF_BYTES)
    source.seek(0)
    encoding = detect_encoding(head)
    stream = io.TextIOWrapper(source, encoding=encoding, newline="")
    number = 0
    try:
        for number, line in enumerate(stream, start=1):
            yield line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise statement_error("invalid_encoding", f"the file is not valid {encoding} text",
                              file_line=number + 1) from exc
    finally:
        stream.detach()


def text_stream(source: BinaryIO) -> io.TextIOWrapper:
    """A decoding text stream over `source` (for csv.reader); detach it when done."""
    head = source.read(SNIFF_BYTES)
    source.seek(0)
    return io.TextIOWrapper(source, encoding=detect_encoding(head), newline="")
