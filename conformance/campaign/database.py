"""Where a campaign keeps what it found, so other campaigns (and other machines) start from it.

``--database DIR`` is Hypothesis' directory database; ``--database redis://HOST:PORT/DB`` is
Hypothesis' Redis database, which any number of workers on any number of machines share.
Both are key -> set of byte strings. A campaign keeps documents, not Hypothesis choice
sequences, so an entry replays whatever the generator has become since:

- ``virtconform:failures:PROPERTY``: minimized documents that failed PROPERTY; every worker
  replays them first, and deletes one that passes again;
- ``virtconform:corpus:GROUP``: documents that reached something no earlier document of the
  campaign reached (a schema path, a skip reason, a refusal); every worker replays them when
  it starts (up to a quarter of its budget).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from virtconform.engine.errors import UsageError

FAILURES = b"virtconform:failures:"
CORPUS = b"virtconform:corpus:"


def open_database(spec: str | None) -> Any:
    """The example database named by ``--database`` (None: keep nothing)."""
    if not spec:
        return None
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return _redis(spec)
    from hypothesis.database import DirectoryBasedExampleDatabase
    return DirectoryBasedExampleDatabase(spec)


def _redis(url: str) -> Any:
    try:
        import redis
    except ImportError:
        raise UsageError("--database redis://...: the redis client is not installed "
                         "(pip install 'virtconform[redis]')") from None
    from hypothesis.extra.redis import RedisExampleDatabase
    parsed = urlparse(url)
    if parsed.scheme != "unix" and not parsed.hostname:
        raise UsageError(f"--database {url}: expected redis://HOST:PORT/DB")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        client.ping()
    except (redis.RedisError, ValueError) as e:
        raise UsageError(f"--database {url}: cannot reach Redis: {' '.join(str(e).split())}") from None
    return RedisExampleDatabase(client)


def failures_key(prop: str) -> bytes:
    return FAILURES + prop.encode()


def corpus_key(group: str) -> bytes:
    return CORPUS + group.encode()
