"""Reading QEMU option values: keyword lists, C integers, schema value forms, PCI slots.

Shared by every family's parser (libvirt's qemuParseCommandLineKeywords and the
virStrToLong_* calls). A problem is an ``ArgError`` without a location; the
parse loop adds the location of the offending word.
"""
from __future__ import annotations

import re

from ..errors import ConfigError
from ..model.address import PciAddress, pci
from .escape import split_options


class ArgError(ConfigError):
    """An unlocated problem with one option value; the parser locates it."""


# The value patterns of the domain schema (schemas/basictypes.rnc): a value the
# schema would reject is refused here, pointing at the argument it came from.
_PATTERNS = {
    "absolute file path": r"/[a-zA-Z0-9_.+\-&/%]+",
    "absolute directory path": r"/[a-zA-Z0-9_.+\-&/%]*",
    "file path": r"[a-zA-Z0-9_.+\-&/%]+",
    "device name": r"[a-zA-Z0-9_.\-\\:/]+",
    "name": r"[a-zA-Z0-9_+\-]+",
    "machine name": r"[a-zA-Z0-9_.\-]+",
    "disk serial": r"[A-Za-z0-9_.+\-]+",
    "model name": r"[a-zA-Z0-9\-_]+",
    "host name": r"[a-zA-Z0-9.\-]+|[0-9A-Fa-f:]+",
    "service": r"[0-9]{1,5}|[a-zA-Z][a-zA-Z0-9_\-]*",
    "IP address": r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}"
                  r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*",
}


def check(kind: str, value: str, what: str) -> str:
    """``value`` if it has the schema's form for ``kind``, else an ArgError naming ``what``."""
    if not re.fullmatch(_PATTERNS[kind], value):
        raise ArgError(f"{what} '{value}' is not a valid {kind}")
    return value


def c_int(text: str) -> int | None:
    """virStrToLong_i with base 10 on the whole string; None when it is not one."""
    if re.fullmatch(r"[+-]?[0-9]+", text.strip(" \t")) and not text[-1:].isspace():
        v = int(text)
        return v if -(2**31) <= v < 2**31 else None
    return None


def parse_keywords(text: str, allow_empty: bool = False) -> list[tuple[str, str | None]]:
    """qemuParseCommandLineKeywords: 'k=v,k2=v2' in order; ',,' stays a literal comma.

    libvirt 0.8.3 has no ',,' escape, but QEMU does, and later builders escape
    commas in paths that way, so reading it back keeps such paths whole.
    """
    out: list[tuple[str, str | None]] = []
    if text == "":
        return out
    for item in split_options(text):
        key, sep, value = item.partition("=")
        if not sep:
            if not allow_empty:
                raise ArgError(f"malformed keyword arguments in '{text}'")
            out.append((key, None))
        else:
            out.append((key, value))
    return out


def device_keywords(val: str) -> tuple[str, dict[str, str]]:
    """``-device DRIVER,k=v,...`` -> (driver, {k: v}); repeated or valueless keys are refused."""
    driver, _, rest = val.partition(",")
    keys: dict[str, str] = {}
    for key, v in parse_keywords(rest):
        assert v is not None
        if key in keys:
            raise ArgError(f"'{key}' given twice in '{val}'")
        keys[key] = v
    return driver, keys


def uint_key(keys: dict[str, str], key: str, val: str, hi: int = 2**31 - 1) -> int:
    """Pop ``key`` from a -device's keys as an integer in [0, hi]."""
    v = keys.pop(key, None)
    n = c_int(v) if v is not None else None
    if n is None or not 0 <= n <= hi:
        raise ArgError(f"cannot parse {key} '{v}' in '{val}'")
    return n


def index_of(ident: str | None, prefix: str, val: str) -> int:
    """N of an id of the form PREFIXN."""
    m = re.fullmatch(re.escape(prefix) + r"([0-9]+)", ident or "")
    if m is None:
        raise ArgError(f"expected id={prefix}N in '{val}'")
    return int(m.group(1))


def pci_address(keys: dict[str, str], val: str) -> PciAddress | None:
    """``bus=pci.0,addr=0xS`` (popped from ``keys``) -> a PCI address; None when absent."""
    bus = keys.pop("bus", None)
    addr = keys.pop("addr", None)
    if bus is None and addr is None:
        return None
    if bus != "pci.0" or addr is None:
        raise ArgError(f"only bus=pci.0 with an addr= is supported in '{val}'")
    m = re.fullmatch(r"(?:0[xX])?([0-9a-fA-F]{1,2})", addr)
    slot = int(m.group(1), 16) if m else -1
    if not 1 <= slot <= 0x1F:
        raise ArgError(f"cannot parse PCI slot '{addr}' in '{val}'")
    return pci(slot)


def no_more(keys: dict[str, str], driver: str) -> None:
    """Every key of a -device must have been understood."""
    if keys:
        raise ArgError(f"unsupported option '{next(iter(keys))}' for -device {driver}")
