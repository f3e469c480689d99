"""Runner state: what is remembered, the backends that keep it, and make_store() that picks one.

`model` holds the values and the Store contract, `codec` the stored JSON, `sqlite` and
`dynamodb` the backends (loaded only when chosen: boto3 is needed for DynamoDB alone).
"""

from __future__ import annotations

import logging
import os
import secrets

from skill.config import Settings
from skill.errors import ConfigError
from skill.state.model import InProgress, Preferences, StateError, Store, UserState, hash_user

__all__ = ["InProgress", "Preferences", "StateError", "Store", "UserState", "hash_user", "load_secret", "make_store"]

logger = logging.getLogger(__name__)


def load_secret(settings: Settings) -> bytes:
    """BANDCOACH_SECRET, or a random secret generated once and kept in <data dir>/secret (mode 0600)."""
    if settings.secret:
        return settings.secret.encode()
    path = settings.data_path / "secret"
    try:
        kept = path.read_bytes().strip()
    except FileNotFoundError:
        pass
    except OSError as exc:  # a directory in the way, a file where the data dir should be, no permission
        raise StateError(
            f"cannot read the user-id secret {path}: {exc.strerror}; "
            "set BANDCOACH_DATA_DIR to a writable directory or set BANDCOACH_SECRET") from exc
    else:
        if not kept:
            raise StateError(f"the user-id secret file {path} is empty: restore it from a backup, or delete it "
                             "to start afresh (stored runners can then no longer be found)")
        return kept
    from skill.state.sqlite import private_dirs  # the data dir is the database's too: made 0700 alike

    try:
        private_dirs(path.parent)
        tmp = path.with_name(f".secret-{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # atomic and never overwrites: a concurrent first start keeps one secret
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        logger.info("generated a secret for hashing user ids in %s", path)
        return path.read_bytes().strip()
    except OSError as exc:
        raise StateError(
            f"cannot keep the user-id secret in {path}: {exc.strerror}; "
            "set BANDCOACH_DATA_DIR to a writable directory or set BANDCOACH_SECRET") from exc


def make_store(settings: Settings) -> Store:
    """The backend BANDCOACH_STATE names: sqlite (default, embedded) or dynamodb."""
    if settings.state == "dynamodb":
        if not settings.secret:
            raise ConfigError(
                "BANDCOACH_STATE=dynamodb needs BANDCOACH_SECRET: every instance must hash user ids alike; "
                "set it to a long random string (python -c 'import secrets; print(secrets.token_hex(32))')")
        from skill.state.dynamodb import DynamoDBStore  # boto3 is only needed for this backend

        return DynamoDBStore(settings.dynamodb_table, secret=load_secret(settings),
                             endpoint_url=settings.aws_endpoint_url, region=settings.aws_region)
    from skill.state.sqlite import SQLiteStore

    return SQLiteStore(settings.db_path, secret=load_secret(settings))
