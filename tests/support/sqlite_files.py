"""What a SQLite database holds on disk: its main file and, in WAL mode, its write-ahead log."""

from __future__ import annotations

from pathlib import Path


def stored_bytes(db: Path) -> bytes:
    """The database file and its -wal file together: recent writes live in the log until a checkpoint."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
