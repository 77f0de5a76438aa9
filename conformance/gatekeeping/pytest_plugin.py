"""pytest plugin: ``pytest -p virtconform --virtconform PATH...``.

One test per document and target, the same judgement as ``virtconform check``: the
document is valid and its command line for that target is the one in the lock file
(without a configuration: every named capability set, and the document must build).
Registered as the ``pytest11`` entry point ``virtconform``; it does nothing unless
``--virtconform`` is given, so having it installed costs other test runs nothing.
Works with pytest-xdist: items are plain, their ids stable, each worker checks its share.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("virtconform", "libvirt domain documents (virtconform)")
    group.addoption("--virtconform", nargs="+", metavar="PATH", default=None,
                    help="check these domain documents or directories: one test per document and target")
    group.addoption("--virtconform-config", metavar="FILE", default=None,
                    help="virtconform.toml or pyproject.toml (default: searched upwards from the first PATH)")


class _Session:
    """What every item of a run shares: configuration, lock, per-document results."""

    def __init__(self, pyconfig: pytest.Config) -> None:
        from virtconform.conformance.gatekeeping.config import (
            Config,
            Target,
            find_config,
            load_config,
        )
        from virtconform.conformance.gatekeeping.lockfile import read_lock
        from virtconform.engine.caps.flags import NAMED_SETS
        from virtconform.engine.errors import UsageError

        paths = pyconfig.getoption("virtconform")
        explicit = pyconfig.getoption("virtconform_config")
        start = Path(paths[0]) if paths else Path.cwd()
        start = start if start.is_dir() else start.parent
        try:
            self.config = load_config(find_config(start, explicit))
            self.locked = True
        except UsageError as e:
            if explicit or "no virtconform.toml" not in e.message:
                raise pytest.UsageError(f"virtconform: {e.format()}") from None
            self.config = Config(root=Path.cwd().resolve(), path=None, include=["**/*.xml"],
                                 targets=[Target(n, frozenset(f), "named set") for n, f in NAMED_SETS.items()],
                                 lockfile=Path.cwd() / "virtconform.lock")
            self.locked = False
        self.lock = read_lock(self.config.lockfile) if self.locked else {}
        self.results: dict[str, Any] = {}
        self.prepared = False

    def result(self, rel: str, path: Path) -> Any:
        from virtconform.conformance.gatekeeping import checker
        if not self.prepared:
            checker._prepare(self.config)
            self.prepared = True
        if rel not in self.results:
            from virtconform.engine.errors import VirtconformError
            from virtconform.engine.xmlio import read_bytes
            try:
                data = read_bytes(str(path))
            except VirtconformError as e:
                self.results[rel] = checker.DocResult(rel, invalid=(e.line or 0, e.column or 0, e.message))
            else:
                self.results[rel] = checker.check_document(rel, data, False)
        return self.results[rel]


_SESSION_KEY = pytest.StashKey[_Session]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    if not config.getoption("virtconform"):
        return
    from virtconform.conformance.gatekeeping.checker import discover
    from virtconform.engine.errors import UsageError

    state = _Session(config)
    config.stash[_SESSION_KEY] = state
    try:
        docs = discover(state.config, config.getoption("virtconform"))
    except UsageError as e:
        raise pytest.UsageError(f"virtconform: {e.format()}") from None
    for rel, doc in docs:
        node = DomainDocument.from_parent(session, path=doc, nodeid=rel)
        node.rel = rel
        items.extend(node.collect())


class DomainDocument(pytest.File):
    rel: str = ""

    def collect(self) -> list[pytest.Item]:
        state = self.config.stash[_SESSION_KEY]
        return [TargetItem.from_parent(self, name=t.name) for t in state.config.targets]


class CheckFailure(Exception):
    def __init__(self, text: str, line: int = 0) -> None:
        super().__init__(text)
        self.text = text
        self.line = line


class TargetItem(pytest.Item):
    """Document x target: valid, and built as the lock file says."""

    def runtest(self) -> None:
        state = self.config.stash[_SESSION_KEY]
        doc: DomainDocument = self.parent  # type: ignore[assignment]
        res = state.result(doc.rel, self.path)
        where = doc.rel
        if res.internal:
            raise CheckFailure(f"{where}: virtconform: internal error: {res.internal}")
        if res.invalid:
            line, col, msg = res.invalid
            raise CheckFailure(f"{where}:{line}:{col}: invalid: {msg}", line)
        got = res.entries[self.name]
        line = res.refusals.get(self.name, (0, 0))[0]
        if not state.locked:
            if got[0].startswith("refused: "):
                raise CheckFailure(f"{where}: {self.name}: {got[0]}", line)
            return
        want = state.lock.get((doc.rel, self.name))
        if want is None:
            raise CheckFailure(f"{where}: {self.name}: not in the lock file "
                               "(run `virtconform check --update`)\n"
                               + "\n".join(f"    {x}" for x in got), line)
        if want != got:
            from virtconform.conformance.gatekeeping.checker import entry_diff
            raise CheckFailure(f"{where}: {self.name}: differs from the lock file\n"
                               + "\n".join(f"    {d}" for d in entry_diff(want, got)), line)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailure):
            return excinfo.value.text
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"virtconform {self.parent.rel} [{self.name}]"  # type: ignore[attr-defined]
