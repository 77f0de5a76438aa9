"""Value mutants: a real document with one or two values replaced by an edge value.

Generated documents draw their values from the schema's datatypes; libvirt 0.8.3 reads
many of them with C's integer types and its own string parsers, whose edges (2^31 read
as a negative ``int``, 2^32 - 1 printed with ``%d`` as -1, a disk name long enough to
wrap ``virDiskNameToIndex``, ``' 5'`` accepted by ``strtol``) the schema does not name.
A mutant keeps everything else of a document someone wrote, so it reaches deep into the
driver before the edge value is read. ``crosscheck --mutants K`` checks K mutants of
every document it is given beside the document itself; a QEMU command line (``.args``)
gets the same treatment, word by word (``line_mutants``), for libvirt's reader of them.
"""
from __future__ import annotations

import random

from lxml import etree

#: edges of C integers (int, unsigned int, long long), of strtol's reading, of libvirt's
#: names (disk targets, CPU sets, MACs), and of option strings
EDGE_VALUES = (
    "", " ", "0", "-1", "-0", "+5", " 5", "5 ", "007", "0x10", "0x1f", "0x20", "0xffffffff", "0xfffffffff",
    "1e3", "3.5", "31", "32", "256", "65535", "65536", "5899", "5900", "-5900",
    "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
    "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
    "99999999999999999999",
    "hdz", "sdaaa", "xvdzz", "ubda", "hd" + "z" * 9, "sd" + "a" * 8, "vd" + "q" * 7, "fd" + "b" * 7,
    "sdvjhssffey", "0-3", "0-3,^2", "^1", "1-", "00:11:22:33:44:55", "52:54:00:zz:00:01",
    "FF:FF:FF:FF:FF:FF", "yes", "no", "on", "off", "default", "none", "auto",
    "1,2", "a,b", "a b", "/dev/null", "\u00e9", "\t", "%s", "$HOME", "x" * 300,
)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _sites(root: etree._Element) -> list[tuple[etree._Element, str | None]]:
    """Every attribute, and the text of every element that holds text only."""
    out: list[tuple[etree._Element, str | None]] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        out += [(el, name) for name in el.attrib]
        if len(el) == 0 and el.text and el.text.strip():
            out.append((el, None))
    return out


def value_mutants(text: str, count: int, seed: int) -> list[str]:
    """``count`` mutants of the domain ``text`` (fewer if it has no values, none if it does
    not parse), each with one or two values replaced; the same for the same arguments."""
    try:
        root = etree.fromstring(text.encode("utf-8"), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return []
    sites = _sites(root)
    if not sites:
        return []
    r = random.Random(f"{seed}:{text}")
    out: list[str] = []
    for _ in range(count):
        changed = []
        for el, name in r.sample(sites, min(r.randint(1, 2), len(sites))):
            value = r.choice(EDGE_VALUES)
            changed.append((el, name, el.text if name is None else el.get(name)))
            if name is None:
                el.text = value
            else:
                el.set(name, value)
        out.append(etree.tostring(root, encoding="unicode") + "\n")
        for el, name, old in reversed(changed):
            if name is None:
                el.text = old
            else:
                el.set(name, old)
    return out


def line_mutants(line: str, count: int, seed: int) -> list[str]:
    """``count`` mutants of a QEMU command line: in one or two words after the emulator,
    a whole option value, or one ``key=value`` item's value, replaced by an edge value
    (without spaces or newlines: those would change the words, not a value)."""
    words = line.rstrip("\n").split(" ")
    start = next((i + 1 for i, w in enumerate(words) if "=" not in w), len(words))  # after env and emulator
    sites = [i for i in range(start, len(words)) if words[i] and not words[i].startswith("-")]
    if not sites:
        return []
    values = [v for v in EDGE_VALUES if " " not in v and "\t" not in v and "\n" not in v]
    r = random.Random(f"{seed}:{line}")
    out: list[str] = []
    for _ in range(count):
        mutant = list(words)
        for i in r.sample(sites, min(r.randint(1, 2), len(sites))):
            items = mutant[i].split(",")
            keyed = [k for k, item in enumerate(items) if "=" in item]
            value = r.choice(values)
            if keyed and r.random() < 0.8:
                k = r.choice(keyed)
                items[k] = items[k].split("=", 1)[0] + "=" + value
                mutant[i] = ",".join(items)
            else:
                mutant[i] = value
        out.append(" ".join(mutant) + "\n")
    return out
