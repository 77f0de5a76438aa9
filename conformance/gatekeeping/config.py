"""The configuration of ``virtconform check``: ``virtconform.toml`` or ``[tool.virtconform]``.

    include = ["domains/**/*.xml"]          # globs, relative to the config's directory
    exclude = ["domains/scratch/*"]          # optional
    lockfile = "virtconform.lock"            # default
    profile = "libvirt-test"                 # default
    qemu_conf = "qemu.conf"                  # optional
    allow_abi_changes = ["memory", "disk *"] # item names (globs) the --base gate lets pass; or true
    allow_unchecked_abi = false              # a changed document no target builds: fail (default)

    [targets]                                # or: targets = ["qemu-0.12.1", "kvm-74"]
    "qemu-0.12.1" = "qemu-0.12.1"            # a named capability set or flag list
    el6 = { help = "help/qemu-kvm-0.12.1" }  # a `qemu -help` dump
    custom = { caps = "qemu-0.12.1,mem-path" }

Every mistake is a located usage error (exit 2): a typo in a key must not silently check less.
"""
from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from virtconform.engine.errors import UsageError, VirtconformError

CONFIG_NAME = "virtconform.toml"
PYPROJECT = "pyproject.toml"
_TARGET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\Z")
_KEYS = {"include", "exclude", "targets", "lockfile", "profile", "qemu_conf",
         "allow_abi_changes", "allow_unchecked_abi"}


@dataclass(frozen=True)
class Target:
    """A capability set the documents are built for, and where its flags come from."""

    name: str
    flags: frozenset[str]
    source: str

    def describe(self) -> str:
        from virtconform.engine.caps.flags import Flags
        return f"{self.name} ({self.source}): {','.join(Flags(self.flags).ordered()) or 'no flags'}"


@dataclass
class Config:
    root: Path
    path: Path | None
    include: list[str]
    targets: list[Target]
    lockfile: Path
    profile: str = "libvirt-test"
    qemu_conf: Path | None = None
    exclude: list[str] = field(default_factory=list)
    allow_abi_changes: bool | list[str] = False
    allow_unchecked_abi: bool = False

    def abi_allowed(self, item: str) -> bool:
        if self.allow_abi_changes is True:
            return True
        if not self.allow_abi_changes:
            return False
        return any(fnmatch.fnmatchcase(item, pat) or item.split(" ")[0] == pat
                   for pat in self.allow_abi_changes)

    def rel(self, path: Path) -> str:
        """``path`` relative to the configuration's directory, '/'-separated."""
        text, root = str(path), str(self.root)
        if text.startswith(root + os.sep) and os.sep + ".." not in text and os.sep == "/":
            return text[len(root) + 1:]   # globbed below the root: no resolve() per document
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            raise UsageError(f"outside the configured repository {self.root}",
                             path=str(path), line=0, column=0) from None


def find_config(start: Path, explicit: str | None = None) -> Path:
    """The configuration file: ``explicit``, or the nearest one upwards from ``start``."""
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise UsageError("no such configuration file", path=explicit, line=0, column=0)
        return p
    for d in [start.resolve(), *start.resolve().parents]:
        if (d / CONFIG_NAME).is_file():
            return d / CONFIG_NAME
        py = d / PYPROJECT
        if py.is_file() and b"[tool.virtconform" in py.read_bytes():
            return py
    raise UsageError(f"no {CONFIG_NAME} (or [tool.virtconform] in {PYPROJECT}) here or above; "
                     "write one with `include` globs and `targets`", path=str(start), line=0, column=0)


def _where(text: str, key: str) -> int:
    """Line of ``key = ...`` in the TOML text (0 when not found): errors point at it."""
    m = re.search(rf'^\s*"?{re.escape(key)}"?\s*=', text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else 0


def load_config(path: Path) -> Config:
    import tomllib

    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise UsageError(f"not valid TOML: {msg}", path=str(path), line=line, column=col) from None
    if path.name == PYPROJECT:
        data = data.get("tool", {}).get("virtconform")
        if not isinstance(data, dict):
            raise UsageError("no [tool.virtconform] table", path=str(path), line=0, column=0)

    def fail(key: str, why: str) -> UsageError:
        return UsageError(f"{key}: {why}", path=str(path), line=_where(text, key.split(".")[-1]), column=1)

    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key (known: {', '.join(sorted(_KEYS))})")
    root = path.resolve().parent

    def strings(key: str, default: list[str]) -> list[str]:
        v = data.get(key, default)
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise fail(key, "expected a list of strings")
        return v

    include = strings("include", [])
    if not include:
        raise fail("include", "give at least one glob of documents, e.g. [\"domains/**/*.xml\"]")
    allow = data.get("allow_abi_changes", False)
    if not isinstance(allow, bool):
        allow = strings("allow_abi_changes", [])
    unchecked = data.get("allow_unchecked_abi", False)
    if not isinstance(unchecked, bool):
        raise fail("allow_unchecked_abi", "expected true or false")
    for key in ("lockfile", "profile", "qemu_conf"):
        if key in data and not isinstance(data[key], str):
            raise fail(key, "expected a string")
    profile = data.get("profile", "libvirt-test")
    from virtconform.engine.caps.profiles import get_profile
    try:
        get_profile(profile)
    except UsageError as e:
        raise fail("profile", e.message) from None
    qemu_conf = root / data["qemu_conf"] if "qemu_conf" in data else None
    return Config(root=root, path=path, include=include, exclude=strings("exclude", []),
                  targets=_targets(data.get("targets"), root, fail),
                  lockfile=root / data.get("lockfile", "virtconform.lock"), profile=profile,
                  qemu_conf=qemu_conf, allow_abi_changes=allow, allow_unchecked_abi=unchecked)


def _targets(raw: Any, root: Path, fail: Any) -> list[Target]:
    from virtconform.engine.caps.flags import NAMED_SETS

    if raw is None:
        raise fail("targets", "give the capability sets to build for, e.g. targets = [\"qemu-0.12.1\"] "
                              f"(named sets: {', '.join(NAMED_SETS)})")
    items: list[tuple[str, Any]]
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = []
        for x in raw:
            if isinstance(x, str):
                items.append((x, x))
            elif isinstance(x, dict) and isinstance(x.get("name"), str):
                items.append((x["name"], {k: v for k, v in x.items() if k != "name"}))
            else:
                raise fail("targets", "each entry is a capability spec or a table with a name")
    else:
        raise fail("targets", "expected a table or a list")
    if not items:
        raise fail("targets", "no targets: nothing would be checked")
    out: list[Target] = []
    for name, spec in items:
        if not _TARGET_NAME.match(name):
            raise fail("targets", f"target name '{name}': letters, digits, '.', '_', '+', '-' only")
        if any(t.name == name for t in out):
            raise fail("targets", f"target '{name}' is defined twice")
        try:
            flags, source = _target_flags(spec, root)
        except VirtconformError as e:
            where = e.format() if e.path else e.message
            raise fail(name, f"target '{name}': {where}") from None
        if flags is None:
            raise fail(name, f"target '{name}': a capability spec, {{ help = \"FILE\" }} "
                             "or { caps = \"SPEC\" }")
        out.append(Target(name, frozenset(flags), source))
    return out


def _target_flags(spec: Any, root: Path) -> tuple[frozenset[str] | None, str]:
    """(flags, where they come from); flags None when ``spec`` has no known shape."""
    from virtconform.engine.caps.flags import NAMED_SETS, resolve

    if isinstance(spec, str):
        return resolve(spec), ("named set" if spec in NAMED_SETS else f"flags {spec}")
    if isinstance(spec, dict) and len(spec) == 1 and isinstance(next(iter(spec.values())), str):
        if "help" in spec:
            from virtconform.engine.caps.help import read_help
            return read_help(str(root / spec["help"])).flags, f"qemu -help dump {spec['help']}"
        if "caps" in spec:
            return resolve(spec["caps"]), f"flags {spec['caps']}"
    return None, ""
