"""Files kept byte for byte in the database (raw statements, closed-day reports).

Content-addressed by SHA-256 and stored in 1 MiB chunks, so a 100 MB statement is written
and read as a stream (memory stays flat), the same file uploaded twice is stored once, and
the copy lives and is backed up with the rows that refer to it: no shared disk between app
nodes is needed.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from kernel.db import advisory_lock
from reconciliation.models import StoredFile, StoredFileChunk

CHUNK_BYTES = 1024 * 1024


def sha256_of(source: BinaryIO) -> tuple[str, int]:
    """(hex digest, size) of a seekable file, read in chunks; the file is rewound."""
    digest, size = hashlib.sha256(), 0
    source.seek(0)
    while block := source.read(CHUNK_BYTES):
        digest.update(block)
        size += len(block)
    source.seek(0)
    return digest.hexdigest(), size


def store(session: Session, source: BinaryIO, *, content_type: str, now: datetime,
          sha256: str | None = None) -> str:
    """Keep the file (once per content); returns its SHA-256."""
    if sha256 is None:
        sha256, size = sha256_of(source)
    else:
        size = source.seek(0, 2)
        source.seek(0)
    advisory_lock(session, f"reconciliation.file:{sha256}")  # two uploads of one file store it once
    if session.execute(select(StoredFile.sha256).where(StoredFile.sha256 == sha256)).first() is not None:
        return sha256
    session.execute(insert(StoredFile).values(sha256=sha256, size_bytes=size, content_type=content_type,
                                              created_at=now))
    seq = 0
    while block := source.read(CHUNK_BYTES):
        session.execute(insert(StoredFileChunk).values(sha256=sha256, seq=seq, data=block))
        seq += 1
    source.seek(0)
    return sha256


def store_bytes(session: Session, data: bytes, *, content_type: str, now: datetime) -> str:
    import io

    return store(session, io.BytesIO(data), content_type=content_type, now=now)


def read(session: Session, sha256: str) -> Iterator[bytes]:
    """The stored file's bytes, chunk by chunk."""
    seqs = session.execute(select(StoredFileChunk.seq).where(StoredFileChunk.sha256 == sha256)
                           .order_by(StoredFileChunk.seq)).scalars().all()
    for seq in seqs:
        yield session.execute(select(StoredFileChunk.data).where(StoredFileChunk.sha256 == sha256,
                                                                 StoredFileChunk.seq == seq)).scalar_one()


def stream(sessions: sessionmaker[Session], sha256: str) -> Iterator[bytes]:
    """The stored file's bytes, chunk by chunk, for a response that outlives the request's
    transaction: each chunk is read in a short session of its own, so a slow download holds one
    chunk in memory and no connection between chunks."""
    with sessions() as session:
        seqs = session.execute(select(StoredFileChunk.seq).where(StoredFileChunk.sha256 == sha256)
                               .order_by(StoredFileChunk.seq)).scalars().all()
    for seq in seqs:
        with sessions() as session:
            block = session.execute(select(StoredFileChunk.data).where(StoredFileChunk.sha256 == sha256,
                                                                       StoredFileChunk.seq == seq)).scalar_one()
        yield block


def size_of(session: Session, sha256: str) -> int:
    return session.execute(select(StoredFile.size_bytes).where(StoredFile.sha256 == sha256)).scalar_one()


def read_all(session: Session, sha256: str) -> bytes:
    return b"".join(read(session, sha256))
