"""``virtconform check``: every document validated, built for every target, held to the lock.

Each document is read, validated and modelled once, then built for every target; the
work is spread over forked processes that inherit the compiled schema and the host
profile, so start-up is paid once. Results are plain data; the parent compares them
with the lock file, runs nothing twice, and turns them into checks (one per document
and kind: ``valid``, ``target NAME``, ``guest ABI``) that every report format shares.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from virtconform.engine.errors import UsageError, VirtconformError

from .config import Config
from .lockfile import Entries, entry_lines, read_lock, refusal_lines, write_lock

#: Builds are pinned to this clock so offset='variable' clocks lock reproducibly.
EPOCH = 0


@dataclass
class Check:
    """One check of one document, as every report format shows it."""

    document: str
    name: str
    status: str                      # passed, failed, skipped
    message: str = ""
    details: list[str] = field(default_factory=list)
    line: int = 0
    column: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status}
        if self.message:
            out["message"] = self.message
        if self.details:
            out["details"] = self.details
        if self.line:
            out["line"], out["column"] = self.line, self.column
        return out


@dataclass
class DocResult:
    """What a worker found for one document (plain data, cheap to send back)."""

    path: str
    seconds: float = 0.0
    invalid: tuple[int, int, str] | None = None
    entries: dict[str, list[str]] = field(default_factory=dict)
    refusals: dict[str, tuple[int, int]] = field(default_factory=dict)
    abi: dict[str, Any] | None = None
    internal: str | None = None

    def cached(self) -> dict[str, Any]:
        """What the result cache keeps (all but timing and the ABI gate)."""
        return {"invalid": self.invalid, "entries": self.entries, "refusals": self.refusals}

    @classmethod
    def from_cache(cls, path: str, data: dict[str, Any], old: bytes | None | bool) -> DocResult:
        invalid = data.get("invalid")
        return cls(path, invalid=tuple(invalid) if invalid else None,  # type: ignore[arg-type]
                   entries=data["entries"],
                   refusals={k: tuple(v) for k, v in data["refusals"].items()},  # type: ignore[misc]
                   abi={"new": True} if old is None else None)


@dataclass
class Outcome:
    checks: list[Check]
    documents: int
    targets: list[str]
    seconds: float
    lock_written: bool = False
    internal_errors: int = 0

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.failed]


# ---------------------------------------------------------------- discovery

def discover(config: Config, paths: list[str]) -> list[tuple[str, Path]]:
    """The documents to check, as (name relative to the configuration, path), sorted:
    ``paths`` (files, directories) or the include globs."""
    import fnmatch

    found: dict[str, Path] = {}
    if paths:
        for p in paths:
            path = Path(p)
            if path.is_dir():
                for f in path.rglob("*.xml"):
                    if f.is_file():
                        found[config.rel(f)] = f
            elif path.is_file():
                found[config.rel(path)] = path
            else:
                raise UsageError("no such file or directory", path=p, line=0, column=0)
    else:
        for pattern in config.include:
            for f in config.root.glob(pattern):
                if f.is_file():
                    found[config.rel(f)] = f
    for rel in list(found):
        if any(fnmatch.fnmatchcase(rel, pat) for pat in config.exclude):
            del found[rel]
        elif "\n" in rel or "\r" in rel:
            raise UsageError("a document name with a line break cannot be locked", path=rel,
                             line=0, column=0)
    return [(k, found[k]) for k in sorted(found)]


def shard(items: list[Any], spec: str | None) -> list[Any]:
    """The K-th of N interleaved slices (1-based), for CI matrices."""
    if not spec:
        return items
    k, sep, n = spec.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise UsageError(f"--shard expects K/N with 1 <= K <= N, not '{spec}'")
    return items[int(k) - 1::int(n)]


# ---------------------------------------------------------------- the workers

_STATE: dict[str, Any] = {}


def _prepare(config: Config) -> None:
    """Load everything the workers share before they fork (schema, host, targets)."""
    from virtconform.engine import schema
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.loader import parse_domain  # noqa: F401  (imported before fork)
    from virtconform.engine.qemu.builder import build_command_line  # noqa: F401

    schema.load_schema()
    profile = get_profile(config.profile)
    profile.capabilities  # noqa: B018  (parsed once, inherited by the workers)
    conf = None
    if config.qemu_conf is not None:
        from virtconform.engine.caps.qemuconf import read_qemu_conf
        conf = read_qemu_conf(str(config.qemu_conf))
    _STATE.update(profile=profile, conf=conf, targets=[(t.name, t.flags) for t in config.targets])


def check_document(rel: str, data: bytes, old: bytes | None | bool) -> DocResult:
    """Validate, model, build for every target; the ABI gate when ``old`` is bytes
    (``None``: the document is new since the base; ``False``: no base given)."""
    from virtconform.engine.loader import parse_domain
    from virtconform.engine.qemu.builder import build_command_line
    from virtconform.engine.xmlio import parse_bytes

    t0 = time.perf_counter()
    res = DocResult(rel)
    profile, conf = _STATE["profile"], _STATE["conf"]
    try:
        try:
            dom = parse_domain(parse_bytes(data, rel), profile.capabilities, validate=True)
        except VirtconformError as e:
            res.invalid = (e.line or 0, e.column or 0, e.message)
            return res
        for name, flags in _STATE["targets"]:
            try:
                cmd = build_command_line(dom, flags, profile=profile, conf=conf, now=EPOCH,
                                         domid=profile.domid)
                res.entries[name] = entry_lines(cmd.env, cmd.argv)
            except VirtconformError as e:
                res.entries[name] = refusal_lines(e.message)
                res.refusals[name] = (e.line or 0, e.column or 0)
        if isinstance(old, bytes):
            res.abi = _abi(rel, old, dom, data)
        elif old is None:
            res.abi = {"new": True}
    except Exception as e:  # a bug of ours: report it for this document, keep going
        res.internal = f"{type(e).__name__}: {' '.join(str(e).split())}"
    finally:
        res.seconds = time.perf_counter() - t0
    return res


def _abi(rel: str, old_data: bytes, new: Any, new_data: bytes) -> dict[str, Any]:
    from virtconform.engine.loader import parse_domain
    from virtconform.engine.xmlio import parse_bytes

    from .gate import gate

    profile = _STATE["profile"]
    try:
        old = parse_domain(parse_bytes(old_data, f"{rel} (base)"), profile.capabilities, validate=False)
    except VirtconformError as e:
        return {"old_unreadable": e.format()}
    report = gate(old, new, dict(_STATE["targets"]), profile=profile, conf=_STATE["conf"],
                  old_data=old_data, new_data=new_data)
    return {
        "changes": [(c.text(), c.line, c.column, c.suggestion, names, c.item)
                    for c, names in report.changes],
        "regressions": report.regressions,
        "checked": report.checked,
        "unchecked": "; ".join(f"{t.name}: {t.new_reason or t.old_reason}" for t in report.targets)
                     if report.unchecked else None,
        "argv": report.argv_diffs,
    }


Work = tuple[str, bytes, "bytes | None | bool"]


def _check_plain(item: Work) -> tuple[Any, ...]:
    """check_document as plain data (what a worker process sends back)."""
    r = check_document(*item)
    return (r.path, r.seconds, r.invalid, r.entries, r.refusals, r.abi, r.internal)


def run_documents(items: list[Work], jobs: int,
                  progress: Callable[[int, int], None] | None = None) -> list[DocResult]:
    """check_document over ``items``, on ``jobs`` forked processes when there are many
    (conformance/parallel.py: workers inherit the compiled schema and the host profile)."""
    from ..parallel import ordered_map

    total = len(items)
    results: list[DocResult] = []
    for plain in ordered_map(_check_plain, items, jobs, parallel_from=16, chunk_min=4, chunk_max=32):
        results.append(DocResult(*plain))
        if progress and len(results) % 8 == 0:
            progress(len(results), total)
    return results


# ---------------------------------------------------------------- judging

def run_check(config: Config, paths: list[str], *, update: bool = False, base: str | None = None,
              jobs: int = 0, shard_spec: str | None = None, use_cache: bool = True,
              progress: Callable[[int, int], None] | None = None) -> Outcome:
    t0 = time.perf_counter()
    everything = discover(config, paths)
    if not everything:  # "checked 0 documents" is no evidence of anything
        where = " ".join(paths) if paths else f"include = {config.include}"
        raise UsageError(f"no document to check ({where} matches no file)",
                         path=str(config.path or config.root), line=0, column=0)
    docs = shard(everything, shard_spec)
    present = {rel for rel, _ in everything}
    whole = not paths      # the include globs name every document: others are gone
    lock = read_lock(config.lockfile)
    old: dict[Path, bytes | None] = {}
    if base:
        from .gitbase import old_versions
        old = old_versions(config.root, base, [d for _, d in docs])
    results, cache = _run_cached(config, docs, old if base else None, jobs, use_cache, progress)
    results.sort(key=lambda r: r.path)
    names = [t.name for t in config.targets]
    checks: list[Check] = []
    fresh: Entries = {}
    no_lock = not update and not config.lockfile.exists()
    if no_lock:   # one clear failure instead of one per document and target
        checks.append(Check(_rel_lock(config), "lock file", "failed",
                            "there is no lock file yet: write it with `virtconform check --update` "
                            "and commit it"))
    for r in results:
        checks += _judge(r, names, lock, update, config, base, no_lock)
        fresh.update({(r.path, t): lines for t, lines in r.entries.items()})
    gone = sorted(k for k in lock if (whole and k[0] not in present) or k[1] not in names)
    first_shard = not shard_spec or shard_spec.startswith("1/")
    if gone and not update and first_shard:
        checks.append(Check(_rel_lock(config), "stale entries", "failed",
                            f"{len(gone)} lock entries for documents or targets no longer checked "
                            "(run `virtconform check --update`)",
                            [f"{d} target {t}" for d, t in gone[:20]]))
    written = False
    if update:
        dropped = set(gone)
        merged = {k: v for k, v in lock.items() if k not in dropped}
        merged.update(fresh)
        if merged != lock or not config.lockfile.exists():
            write_lock(config.lockfile, merged, names,
                       ["targets:"] + [f"  {t.describe()}" for t in config.targets])
            written = True
    if cache is not None:
        cache.save(prune=whole and not shard_spec)
    return Outcome(checks, len(docs), names, time.perf_counter() - t0, written,
                   sum(1 for r in results if r.internal))


def _run_cached(config: Config, docs: list[tuple[str, Path]], old: dict[Path, bytes | None] | None, jobs: int,
                use_cache: bool, progress: Callable[[int, int], None] | None) -> tuple[list[DocResult], Any]:
    """Results of every document: from the cache when its bytes were seen in the same
    context, else from the workers (the schema is only compiled when something is left)."""
    from .cache import ResultCache, context_key, digest

    cache = None
    if use_cache:
        conf = None
        if config.qemu_conf is not None:
            try:
                conf = config.qemu_conf.read_bytes()
            except OSError as e:
                raise UsageError(f"cannot read qemu_conf: {e.strerror}", path=str(config.qemu_conf),
                                 line=0, column=0) from None
        cache = ResultCache(config.root, context_key(
            config.profile, conf, [(t.name, t.flags) for t in config.targets]))
    results: list[DocResult] = []
    todo: list[Work] = []
    keys: dict[str, str] = {}
    for rel, d in docs:
        was = old.get(d, False) if old is not None else False
        try:
            data = _read(str(d))
        except VirtconformError as e:
            results.append(DocResult(rel, invalid=(e.line or 0, e.column or 0, e.message)))
            continue
        key = keys[rel] = digest(data)
        hit = cache.get(key) if cache is not None and not isinstance(was, bytes) else None
        if hit is not None:
            results.append(DocResult.from_cache(rel, hit, was))
        else:
            todo.append((rel, data, was))
    if todo:
        _prepare(config)
        from ..parallel import default_jobs
        done = run_documents(todo, jobs or default_jobs(), progress)
        for r in done:
            if cache is not None and not r.internal:
                cache.put(keys[r.path], r.cached())
        results += done
    return results, cache


def _read(path: str) -> bytes:
    """The bytes of a small regular file without importing lxml (a warm run never parses);
    anything else goes through xmlio.read_bytes and its limits and messages."""
    import stat
    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode) and st.st_size < 1 << 20:
            with open(path, "rb") as f:
                data = f.read(1 << 20)
            if len(data) < 1 << 20:
                return data
    except OSError:
        pass
    from virtconform.engine.xmlio import read_bytes
    return read_bytes(path)


def _rel_lock(config: Config) -> str:
    try:
        return config.rel(config.lockfile)
    except UsageError:
        return str(config.lockfile)


def entry_diff(old: list[str], new: list[str]) -> list[str]:
    """``- line`` / ``+ line`` for the lines of a lock entry that changed."""
    import difflib
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            out += [f"- {x}" for x in old[i1:i2]] + [f"+ {x}" for x in new[j1:j2]]
    return out


def _judge(r: DocResult, targets: list[str], lock: Entries, update: bool, config: Config,
           base: str | None, no_lock: bool = False) -> list[Check]:
    doc = r.path
    share = r.seconds / (len(targets) + 1)
    if r.internal:
        return [Check(doc, "valid", "failed", f"virtconform: internal error: {r.internal}",
                      seconds=r.seconds)]
    if r.invalid:
        line, col, msg = r.invalid
        out = [Check(doc, "valid", "failed", msg, line=line, column=col, seconds=r.seconds)]
        out += [Check(doc, f"target {t}", "skipped", "the document is invalid") for t in targets]
        if base:
            out.append(Check(doc, "guest ABI", "skipped", "the document is invalid"))
        return out
    out = [Check(doc, "valid", "passed", seconds=share)]
    for t in targets:
        got = r.entries[t]
        want = lock.get((doc, t))
        line, col = r.refusals.get(t, (0, 0))
        if no_lock:
            out.append(Check(doc, f"target {t}", "skipped", "no lock file", seconds=share))
        elif want == got:
            out.append(Check(doc, f"target {t}", "passed", seconds=share))
        elif update:
            out.append(Check(doc, f"target {t}", "passed",
                             "added to the lock file" if want is None else "lock file updated",
                             entry_diff(want or [], got), seconds=share))
        elif want is None:
            out.append(Check(doc, f"target {t}", "failed",
                             "not in the lock file (new document or target? run `virtconform check --update`)",
                             [], line, col, share))
        else:
            what = ("now refused" if got[0].startswith("refused: ") else
                    "now builds" if want[0].startswith("refused: ") else "command line differs")
            out.append(Check(doc, f"target {t}", "failed", f"{what} from the lock file",
                             entry_diff(want, got), line, col, share))
    if base:
        out.append(_judge_abi(doc, r.abi, config, base))
    return out


def _judge_abi(doc: str, abi: dict[str, Any] | None, config: Config, base: str) -> Check:
    name = "guest ABI"
    if abi is None:
        return Check(doc, name, "passed", f"unchanged since {base}")
    if abi.get("new"):
        return Check(doc, name, "passed", f"new since {base}: nothing to compare")
    if "old_unreadable" in abi:
        return Check(doc, name, "skipped", f"the version at {base} cannot be read: {abi['old_unreadable']}")
    failing, allowed, details = [], [], []
    first = (0, 0)
    for text, line, col, suggestion, targets, item in abi["changes"]:
        scope = "" if targets == abi["checked"] else f" [{', '.join(targets)}]"
        (allowed if config.abi_allowed(item) else failing).append(text + scope)
        if not config.abi_allowed(item) and first == (0, 0):
            first = (line, col)
        if len(abi["changes"]) > 1 or config.abi_allowed(item):
            details.append(text + scope + (" (allowed)" if config.abi_allowed(item) else ""))
        if suggestion:
            details.append(f"    hint: {suggestion}")
    details += [f"regression: {x}" for x in abi["regressions"]]
    for target, diff in abi["argv"].items():
        details.append(f"command line for {target}:")
        details += [f"    {d}" for d in diff]
    if abi["unchecked"]:
        msg = f"guest ABI NOT CHECKED: no target builds both versions ({abi['unchecked']})"
        return Check(doc, name, "skipped" if config.allow_unchecked_abi else "failed", msg, details)
    if failing or abi["regressions"]:
        parts = failing + [f"regression: {x}" for x in abi["regressions"]]
        return Check(doc, name, "failed", f"changed since {base}: " + "; ".join(parts), details,
                     first[0], first[1])
    msg = f"checked on {len(abi['checked'])} targets" + (f"; allowed: {'; '.join(allowed)}" if allowed else "")
    return Check(doc, name, "passed", msg, details)


def iter_failures(outcome: Outcome) -> Iterable[Check]:
    return (c for c in outcome.checks if c.failed)
