"""libvirt's ``qemu.conf`` (virConf syntax) and the settings the command line uses.

Why: a few QEMU arguments come from the driver configuration, not the domain:
the VNC listen address when ``<graphics>`` has none, VNC TLS/SASL options,
and the hugepage directory of ``-mem-path``. The syntax is libvirt's virConf
(src/util/conf.c): ``name = value`` where value is a "string", 'string',
\"\"\"multi-line string\"\"\", a number, or a ``[ list, ]``; ``#`` comments; an
optional ``;`` between statements. Unknown keys are kept but ignored, as
libvirt does; a known key of the wrong type is an error, as in
qemudLoadDriverConfig's CHECK_TYPE.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import ConfigError, DocumentError

MAX_CONF_BYTES = 1024 * 1024

Value = str | int | list["Value"]

#: What libvirtd's qemudLoadDriverConfig sets before it reads qemu.conf. A driver that
#: reads no file (libvirt's own test driver, the ``libvirt-test`` host) has none of these.
LIBVIRTD_DEFAULTS: Mapping[str, Value] = {
    "vnc_listen": "127.0.0.1",
    "vnc_tls_x509_cert_dir": "/etc/pki/libvirt-vnc",
    "vnc_sasl_dir": "/etc/sasl2",
}

#: known keys of libvirt 0.8.3 and the virConf type CHECK_TYPE demands
_TYPES: dict[str, type] = {
    "vnc_listen": str, "vnc_password": str, "vnc_tls": int, "vnc_tls_x509_cert_dir": str,
    "vnc_tls_x509_verify": int, "vnc_sasl": int, "vnc_sasl_dir": str,
    "hugetlbfs_mount": str, "security_driver": str, "user": str, "group": str,
    "dynamic_ownership": int, "cgroup_controllers": list, "cgroup_device_acl": list,
    "save_image_format": str, "mac_filter": int, "relaxed_acs_check": int,
    "vnc_allow_host_audio": int, "clear_emulator_capabilities": int,
    "allow_disk_format_probing": int,
}


@dataclass(frozen=True)
class QemuConf:
    """The QEMU driver's settings. A field left at its default is unset, as in a driver
    that read no configuration (see LIBVIRTD_DEFAULTS and the host profile's
    ``driver``); ``raw`` keeps every key read."""

    vnc_listen: str | None = None
    vnc_password: str | None = None
    vnc_tls: bool = False
    vnc_tls_x509_cert_dir: str | None = None
    vnc_tls_x509_verify: bool = False
    vnc_sasl: bool = False
    vnc_sasl_dir: str | None = None
    #: None: libvirt would search /proc/mounts; we never look at the host
    hugetlbfs_mount: str | None = None
    vnc_allow_host_audio: bool = False
    raw: Mapping[str, Value] = field(default_factory=dict, compare=False)

    @property
    def hugepage_path(self) -> str | None:
        """Directory given to ``-mem-path``: ``<hugetlbfs_mount>/libvirt/qemu``."""
        if not self.hugetlbfs_mount:
            return None
        return f"{self.hugetlbfs_mount}/libvirt/qemu"

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Value] | None,
                     where: dict[str, tuple[int, int]] | None = None,
                     path: str | None = None, base: Mapping[str, Value] | None = None) -> QemuConf:
        """Typed settings from ``{key: value}`` (a parsed file, a manifest's
        ``qemu_conf``) over ``base`` (the driver's state before it reads them).
        Wrong types of known keys are ConfigError."""
        settings = {**(base or {}), **(settings or {})}
        kw: dict[str, object] = {}
        for key, value in settings.items():
            want = _TYPES.get(key)
            if want is None:
                continue                       # libvirt ignores unknown keys
            if isinstance(value, bool):
                value = int(value)
            if not isinstance(value, want):
                line, col = (where or {}).get(key, (None, None))
                kind = {str: "a string", int: "a number", list: "a list"}[want]
                raise ConfigError(f"{key}: expected {kind}", path=path, line=line, column=col)
            if key in cls.__dataclass_fields__:
                kw[key] = bool(value) if cls.__dataclass_fields__[key].type == "bool" else value
        return cls(**kw, raw=settings)  # type: ignore[arg-type]


# ---------------------------------------------------------------- parsing

class _Parser:
    """A direct port of virConf's grammar with line/column tracking."""

    def __init__(self, text: str, path: str | None) -> None:
        self.s = text
        self.i = 0
        self.path = path

    def pos(self, i: int | None = None) -> tuple[int, int]:
        i = self.i if i is None else i
        line = self.s.count("\n", 0, i) + 1
        return line, i - (self.s.rfind("\n", 0, i) + 1) + 1

    def error(self, msg: str, i: int | None = None) -> DocumentError:
        line, col = self.pos(i)
        return DocumentError(msg, path=self.path, line=line, column=col)

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip_blanks(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def skip_blanks_eol(self, comments: bool = False) -> None:
        while True:
            c = self.peek()
            if c in (" ", "\t", "\n", "\r"):
                self.i += 1
            elif comments and c == "#":
                self.skip_comment()
            else:
                return

    def skip_comment(self) -> None:
        end = self.s.find("\n", self.i)
        self.i = len(self.s) if end < 0 else end

    def name(self) -> str:
        start = self.i
        if not (self.peek().isascii() and self.peek().isalpha()):
            raise self.error("expecting a name")
        while self.peek() and (self.peek().isascii() and (self.peek().isalnum() or self.peek() in "_.")):
            self.i += 1
        return self.s[start:self.i]

    def string(self) -> str:
        q = self.peek()
        start = self.i
        if self.s.startswith('"""', self.i):
            end = self.s.find('"""', self.i + 3)
            if end < 0:
                raise self.error("unterminated string", start)
            self.i = end + 3
            return self.s[start + 3:end]
        self.i += 1
        while self.peek() and self.peek() != q and self.peek() != "\n":
            self.i += 1
        if self.peek() != q:
            raise self.error("unterminated string", start)
        self.i += 1
        return self.s[start + 1:self.i - 1]

    def value(self) -> Value:
        c = self.peek()
        if c in ("'", '"'):
            return self.string()
        if c == "[":
            self.i += 1
            items: list[Value] = []
            self.skip_blanks_eol(comments=True)
            if self.peek() and self.peek() != "]":
                items.append(self.value())
                self.skip_blanks_eol(comments=True)
            while self.peek() and self.peek() != "]":
                if self.peek() != ",":
                    raise self.error("expecting a separator in list")
                self.i += 1
                self.skip_blanks_eol(comments=True)
                if self.peek() == "]":
                    break
                items.append(self.value())
                self.skip_blanks_eol(comments=True)
            if self.peek() != "]":
                raise self.error("list is not closed with ]")
            self.i += 1
            return items
        if c and (c.isdigit() and c.isascii() or c in "+-"):
            start = self.i
            if c in "+-":
                self.i += 1
            digits = self.i
            while self.peek().isascii() and self.peek().isdigit():
                self.i += 1
            if self.i == digits:
                raise self.error("expecting a number after the sign", start)
            return int(self.s[start:self.i])
        raise self.error("expecting a value")

    def parse(self) -> tuple[dict[str, Value], dict[str, tuple[int, int]]]:
        values: dict[str, Value] = {}
        where: dict[str, tuple[int, int]] = {}
        while self.i < len(self.s):
            self.skip_blanks()
            c = self.peek()
            if c == "":
                break
            if c == "#":
                self.skip_comment()
                continue
            if c in ("\n", "\r", ";"):
                self.i += 1
                continue
            key = self.name()
            self.skip_blanks()
            if self.peek() != "=":
                raise self.error("expecting an assignment")
            self.i += 1
            self.skip_blanks()
            at = self.pos()
            val = self.value()
            self.skip_blanks()
            if self.peek() == "#":
                self.skip_comment()
            c = self.peek()
            if c == ";":
                self.i += 1
            elif c not in ("", "\n", "\r"):
                raise self.error("expecting a separator")
            values[key] = val                 # a later setting overrides, as in virConf lookups
            where[key] = at
        return values, where


def parse_qemu_conf(text: str, path: str | None = None,
                    base: Mapping[str, Value] | None = None) -> QemuConf:
    """Parse qemu.conf text (over ``base``); syntax errors are DocumentError at FILE:LINE:COL."""
    values, where = _Parser(text, path).parse()
    return QemuConf.from_mapping(values, where, path, base)


def read_qemu_conf(path: str, base: Mapping[str, Value] | None = None) -> QemuConf:
    """Read and parse a qemu.conf file over ``base`` (exit 2 if unreadable, 1 if invalid)."""
    from .fileio import read_small

    data = read_small(path, MAX_CONF_BYTES)
    if b"\0" in data:
        raise DocumentError("binary data (NUL byte), not a qemu.conf file", path=path,
                            line=data.count(b"\n", 0, data.find(b"\0")) + 1, column=1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DocumentError("not UTF-8 text", path=path,
                            line=data.count(b"\n", 0, e.start) + 1, column=1) from None
    return parse_qemu_conf(text, path, base)
