"""Reading a text statement (CSV, MT940) as a stream of decoded lines. Pure.

Vietnamese bank exports come as UTF-8 (with or without BOM), UTF-16 ("Unicode text" from
Excel) or Windows-1258. A BOM decides; otherwise the first 64 KiB: bytes that are not UTF-8
there mean Windows-1258 for the whole file when all before the first of them is ASCII (else it
is UTF-8 with a damaged byte: refused). When they are UTF-8, the file is decoded as
UTF-8 as it streams, strictly, with one deterministic exception: if everything before the
first non-UTF-8 byte was plain ASCII (identical in both encodings), the rest is Windows-1258
(an export whose Vietnamese text starts late). Any other byte that does not decode is a typed
error, not a crash, and the file is never read into memory to decide.
"""
from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import BinaryIO

from reconciliation.statements import statement_error, utf16_without_bom

SNIFF_BYTES = 64 * 1024
LATE_FALLBACK = "hccpay-utf8-or-cp1258"  # the codec name TextIOWrapper is given


class _Utf8OrCp1258Decoder(codecs.IncrementalDecoder):
    """UTF-8, strictly, unless everything before the first bad byte was ASCII: then cp1258."""

    def __init__(self, errors: str = "strict") -> None:
        super().__init__(errors)
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._fallback: codecs.IncrementalDecoder | None = None
        self._only_ascii = True

    def decode(self, data: bytes, final: bool = False) -> str:
        if self._fallback is not None:
            return self._fallback.decode(data, final)
        pending = self._utf8.getstate()[0]
        try:
            text = self._utf8.decode(data, final)
        except UnicodeDecodeError as exc:
            buffered = pending + bytes(data)
            if not (self._only_ascii and buffered[:exc.start].isascii()):
                raise
            self._fallback = codecs.getincrementaldecoder("cp1258")("strict")
            return self._fallback.decode(buffered, final)
        if self._only_ascii and not text.isascii():
            self._only_ascii = False
        return text

    def reset(self) -> None:
        self._utf8.reset()
        self._fallback = None
        self._only_ascii = True

    def getstate(self) -> tuple[bytes, int]:
        if self._fallback is not None:
            return b"", 2
        buffered, flag = self._utf8.getstate()
        return buffered, flag * 4 + (0 if self._only_ascii else 1)

    def setstate(self, state: tuple[bytes, int]) -> None:
        buffered, flag = state
        if flag == 2 and not buffered:
            self._fallback = codecs.getincrementaldecoder("cp1258")("strict")
            return
        self._fallback = None
        self._utf8.setstate((buffered, flag // 4))
        self._only_ascii = flag % 4 == 0


def _search(name: str) -> codecs.CodecInfo | None:
    if name.replace("_", "-") != LATE_FALLBACK:
        return None
    utf8 = codecs.lookup("utf-8")
    return codecs.CodecInfo(name=LATE_FALLBACK, encode=utf8.encode, decode=utf8.decode,
                            incrementalencoder=utf8.incrementalencoder, incrementaldecoder=_Utf8OrCp1258Decoder)


codecs.register(_search)


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head and (codec := utf16_without_bom(head)) is not None:
        return codec
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        # Vietnamese in Windows-1258 breaks UTF-8 at its first accented letter. Accented UTF-8
        # before the bad byte is a UTF-8 file with a damaged byte: decoded as Windows-1258 its
        # header would be garbled and the answer a misleading missing_columns.
        if head[:exc.start].isascii():
            return "cp1258"
        raise statement_error("invalid_encoding", f"the file is UTF-8 text but byte {exc.start + 1} is not UTF-8 "
                              "(a damaged file?)", byte=exc.start + 1) from exc
    return LATE_FALLBACK


def text_lines(source: BinaryIO) -> Iterator[str]:
    """Decoded lines (newline kept off), read lazily from `source`."""
    stream = text_stream(source)
    encoding = stream.encoding
    number = 0
    try:
        for number, line in enumerate(stream, start=1):
            yield line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise statement_error("invalid_encoding", f"the file is not valid {_name(encoding)} text",
                              file_line=number + 1) from exc
    finally:
        release(stream)


def text_stream(source: BinaryIO) -> io.TextIOWrapper:
    """A decoding text stream over `source` (for csv.reader); detach it when done."""
    head = source.read(SNIFF_BYTES)
    source.seek(0)
    return io.TextIOWrapper(source, encoding=detect_encoding(head), newline="")


def release(stream: io.TextIOWrapper) -> None:
    """Let go of a `text_stream` without closing the file under it (its owner does). A reader dropped
    after its file was closed (a generator collected late) has nothing left to keep open."""
    if not stream.buffer.closed:
        stream.detach()


def _name(encoding: str) -> str:
    return "UTF-8" if encoding == LATE_FALLBACK else encoding
