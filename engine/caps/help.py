"""Parse ``qemu -help`` output the way libvirt 0.8.3 does.

Why: libvirt never asked QEMU what it could do; it read the ``-help`` text
(qemudParseHelpStr + qemudComputeCmdFlags in src/qemu/qemu_conf.c) and looked
for option names in it. Reproducing exactly those substring rules -- including
their quirks -- is what makes our command lines match libvirt's for any QEMU.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import DocumentError
from .flags import Flags

VERSION_PREFIXES = ("QEMU emulator version", "QEMU PC emulator version")
QEMU_KVM_PREFIX = "(qemu-kvm-"
KVM_PREFIX = "(kvm-"
INT_MAX = 2**31 - 1
MAX_HELP_BYTES = 1024 * 1024     # real -help output is ~10 KB


@dataclass(frozen=True)
class HelpInfo:
    """What libvirt learns from ``-help``: version N = major*1e6+minor*1e3+micro."""

    version: int
    is_kvm: bool
    kvm_version: int
    flags: Flags

    def to_json(self) -> dict[str, object]:
        return {"version": self.version, "is_kvm": self.is_kvm,
                "kvm_version": self.kvm_version, "flags": self.flags.ordered()}


def _quote(line: str, limit: int = 60) -> str:
    """First line for a message: printable, one line, truncated."""
    text = "".join(c if c.isascii() and c.isprintable() else "?" for c in line)
    return text if len(text) <= limit else text[:limit] + "..."


def _parse_number(text: str, pos: int) -> tuple[int, int] | None:
    """libvirt's virParseNumber: decimal digits, -1 (None) if none or > INT_MAX."""
    end = pos
    value = 0
    while end < len(text) and "0" <= text[end] <= "9":
        value = value * 10 + (ord(text[end]) - 48)
        if value > INT_MAX:
            return None
        end += 1
    if end == pos:
        return None
    return value, end


def _skip_blanks(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def compute_flags(help_text: str, version: int, is_kvm: bool, kvm_version: int) -> Flags:
    """qemudComputeCmdFlags of libvirt 0.8.3: substring tests over the whole text.

    Not set here, on purpose:
    - ``monitor-json`` and ``netdev``: libvirt 0.8.3 compiled both tests out
      (``#if 0``: "keep disabled till we're actually ready to turn on JSON
      mode" / "netdev mode"), so no -help ever yields them; name them
      explicitly to get them.
    - ``pci-configfd``: found by running ``-device pci-assign,?``, which no
      help text shows.
    """
    h = help_text
    f: set[str] = set()

    def has(s: str) -> bool:
        return s in h

    if has("-no-kqemu"):
        f.add("kqemu")
    if has("-no-kvm"):
        f.add("kvm")
    if has("-enable-kvm"):
        f.add("enable-kvm")
    if has("-no-reboot"):
        f.add("no-reboot")
    if has("-name"):
        f.add("name")
    if has("-uuid"):
        f.add("uuid")
    if has("-xen-domid"):           # newer QEMU's Xen support, not Xenner's -domid
        f.add("xen-domid")
    elif has("-domid"):
        f.add("domid")
    if has("-drive"):
        f.add("drive")
        if has("cache=writethrough|writeback|none"):
            f.add("drive-cache-v2")
        if has("format="):
            f.add("drive-format")
    if has("-vga") and not has("-std-vga"):
        f.add("vga")
    if has("boot=on"):
        f.add("drive-boot")
    if has("serial=s"):
        f.add("drive-serial")
    if has("-pcidevice"):
        f.add("pcidevice")
    if has("-mem-path"):
        f.add("mem-path")
    if has("-chardev"):
        f.add("chardev")
    if has("-balloon"):
        f.add("balloon")
    if has("-device"):
        f.add("device")
    if has("-nodefconfig"):
        f.add("nodefconfig")
    if has("-rtc "):                # trailing blank: do not match -rtc-td-hack
        f.add("rtc")
    if has("-rtc-td-hack"):
        f.add("rtc-td-hack")
    if has("-no-hpet"):
        f.add("no-hpet")
    if has("-no-kvm-pit-reinjection"):
        f.add("no-kvm-pit")
    if has("-tdf"):
        f.add("tdf")
    if has("-sdl"):
        f.add("sdl")
    if has("cores=") and has("threads=") and has("sockets="):
        f.add("smp-topology")
    if version >= 9000:
        f.add("vnc-colon")
    if is_kvm and (version >= 10000 or kvm_version >= 74):
        f.add("vnet-hdr")
    if is_kvm and has(",vhost="):
        f.add("vnet-host")
    # -incoming: tcp (kvm >= 79, qemu >= 0.10), exec (kvm >= 80, qemu >= 0.10),
    # stdio for all earlier kvm; pre-kvm-79 tcp blocked the monitor: ignored.
    if version >= 10000:
        f.update(("migrate-qemu-tcp", "migrate-qemu-exec"))
        if version >= 12000:
            f.add("migrate-qemu-unix")
    elif kvm_version >= 79:
        f.add("migrate-qemu-tcp")
        if kvm_version >= 80:
            f.add("migrate-qemu-exec")
    elif kvm_version > 0:
        f.add("migrate-kvm-stdio")
    if version >= 10000:
        f.add("net-name")
    return Flags(f)


def parse_help(text: str, path: str | None = None) -> HelpInfo:
    """qemudParseHelpStr: the version line, then the flags.

    The first line must start with one of VERSION_PREFIXES, then blanks, then
    ``major.minor.micro`` (decimal), then optionally ``(qemu-kvm-...`` or
    ``(kvm-NN``. Anything else is a DocumentError quoting the first line.
    """
    first = text.split("\n", 1)[0].rstrip("\r")

    def fail(why: str, col: int) -> DocumentError:
        return DocumentError(
            f"cannot parse QEMU version number in '{_quote(first)}': {why}",
            path=path, line=1, column=col + 1)

    if not text.strip():
        raise DocumentError("empty qemu -help output: no version line", path=path,
                            line=1, column=1)
    for prefix in VERSION_PREFIXES:
        if text.startswith(prefix):
            p = len(prefix)
            break
    else:
        raise fail("expected 'QEMU emulator version' or 'QEMU PC emulator version'", 0)
    p = _skip_blanks(text, p)
    parts: list[int] = []
    for i, what in enumerate(("major", "minor", "micro")):
        got = _parse_number(text, p)
        if got is None:
            raise fail(f"expected a decimal {what} number", p)
        value, p = got
        parts.append(value)
        if i < 2:
            if p >= len(text) or text[p] != ".":
                raise fail(f"expected '.' after the {what} number", p)
            p += 1
    major, minor, micro = parts
    p = _skip_blanks(text, p)
    is_kvm = False
    kvm_version = 0
    if text.startswith(QEMU_KVM_PREFIX, p):
        is_kvm = True
    elif text.startswith(KVM_PREFIX, p):
        is_kvm = True
        p += len(KVM_PREFIX)
        got = _parse_number(text, p)
        if got is None:
            raise fail("expected a decimal kvm version after '(kvm-'", p)
        kvm_version = got[0]
    # computed in a C unsigned int: a large major number wraps around
    version = (major * 1_000_000 + minor * 1_000 + micro) % 2**32
    return HelpInfo(version, is_kvm, kvm_version,
                    compute_flags(text, version, is_kvm, kvm_version))


def parse_help_bytes(data: bytes, path: str | None = None) -> HelpInfo:
    """Decode captured output and parse it as libvirt did: as a C string, which ends at
    the first NUL byte (a binary file fails at its version line)."""
    nul = data.find(b"\0")
    if nul >= 0:
        data = data[:nul]
    if not data.strip():
        raise DocumentError("empty qemu -help output: no version line", path=path,
                            line=1, column=1)
    # latin-1 never fails and keeps every ASCII byte where it was
    return parse_help(data.decode("latin-1"), path)


def read_help(path: str) -> HelpInfo:
    """Read a file holding ``qemu -help`` output and parse it."""
    from .fileio import read_small

    return parse_help_bytes(read_small(path, MAX_HELP_BYTES), path)
