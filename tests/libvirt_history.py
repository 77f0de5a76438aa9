"""Revisions of libvirt's schema as its 2009-2010 history made them, rebuilt with lxml.

libvirt's 2010 ``domain.rng`` (read at test time from ../shared, never copied)
is the *after*; each revision edits a parsed copy back to the *before*: a device
or element that did not exist yet (memballoon, watchdog, seclabel, cpu,
memoryBacking, description, disk serial), an attribute or value added later
(virtio-serial port, cpuset, error_policy, enospace, ac97, managed), a choice
branch added (disk type dir, interface direct, rdp), a datatype tightened or
widened (the dashed uuid, unsignedInt's pattern, memory minimum), an order
relaxed, a changed start, and a change only in the included
``storageencryption.rng``. Cosmetic rewrites keep the language: indentation,
comments, defines reordered, renamed, inlined or factored out, divs, combine,
choices and interleaves reordered, equivalent repetition forms, the ``rng:``
prefix. Each edit names an element path a witness must reach.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

NS = "http://relaxng.org/ns/structure/1.0"
R = "{" + NS + "}"

Edit = Callable[[etree._Element, etree._Element], None]  # (domain.rng root, storageencryption.rng root)


@dataclass(frozen=True)
class Revision:
    name: str
    edit: Edit  # turns the 2010 grammar into the one before the change
    path: str | None  # a fragment of a witness's path (None: a cosmetic rewrite)
    newer_accepts_more: bool = True  # after the change, documents are accepted that were not before


# ---------------------------------------------------------------- lxml helpers
def E(tag: str, **attrs: str) -> etree._Element:
    return etree.Element(R + tag, attrs, nsmap={None: NS})


def define(root: etree._Element, name: str) -> etree._Element:
    found = next((d for d in root.iter(R + "define") if d.get("name") == name), None)
    assert found is not None, name
    return found


def named(scope: etree._Element, kind: str, name: str) -> etree._Element:
    found = next((x for x in scope.iter(R + kind) if x.get("name") == name), None)
    assert found is not None, (kind, name)
    return found


def value(scope: etree._Element, text: str) -> etree._Element:
    found = next((v for v in scope.iter(R + "value") if v.text == text), None)
    assert found is not None, text
    return found


def drop(el: etree._Element) -> None:
    """Remove ``el``, with the ``<optional>`` it is alone in."""
    parent = el.getparent()
    if parent.tag == R + "optional" and len([c for c in parent if isinstance(c.tag, str)]) == 1:
        el, parent = parent, parent.getparent()
    parent.remove(el)


def ref_in(root: etree._Element, name: str, within: str) -> etree._Element:
    return named(define(root, within), "ref", name)


def branch(scope: etree._Element, attribute: str, val: str) -> etree._Element:
    """The group of a choice that sets ``attribute`` to ``val``."""
    for a in scope.iter(R + "attribute"):
        v = a.find(R + "value")
        if a.get("name") == attribute and v is not None and v.text == val:
            return a.getparent()
    raise AssertionError((attribute, val))


def pattern(root: etree._Element, name: str, regex: str) -> None:
    p = next(define(root, name).iter(R + "param"))
    assert p.get("name") == "pattern"
    p.text = regex


def params(root: etree._Element, name: str) -> list[etree._Element]:
    return list(define(root, name).iter(R + "param"))


def wrap(el: etree._Element, tag: str) -> etree._Element:
    w = E(tag)
    el.addprevious(w)
    w.append(el)
    return w


def kids(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def reverse_children(el: etree._Element) -> None:
    items = kids(el)
    for c in items:
        el.remove(c)
    for c in reversed(items):
        el.append(c)


def _do(*steps: Callable[[etree._Element], object]) -> Edit:
    def edit(d: etree._Element, e: etree._Element) -> None:
        for step in steps:
            step(d)
    return edit


# ---------------------------------------------------------------- the history
def _virtio_serial(d: etree._Element) -> None:
    drop(branch(define(d, "controller"), "type", "virtio-serial"))
    drop(ref_in(d, "virtioTarget", "channel"))
    drop(branch(define(d, "address"), "type", "virtio-serial"))


def _start_with_devices(d: etree._Element) -> None:
    ref = d.find(R + "start").find(R + "ref")
    choice = wrap(ref, "choice")
    choice.append(E("ref", name="devices"))


def _toggle_optional_group(d: etree._Element) -> None:
    # hostdev's mode/type/managed were an all-or-nothing group; before, managed was not there
    drop(named(define(d, "hostdev"), "attribute", "managed"))


def _catchup_required(d: etree._Element) -> None:
    el = named(define(d, "catchup"), "element", "catchup")
    opt = el.find(R + "optional")
    for c in kids(opt):
        el.append(c)
    el.remove(opt)


def _order(d: etree._Element) -> None:
    define(d, "ids").find(R + "interleave").tag = R + "group"


def _unsigned_without_pattern(d: etree._Element) -> None:
    data = define(d, "unsignedInt").find(R + "data")
    for p in kids(data):
        data.remove(p)


def _encryption_secret_once(d: etree._Element, e: etree._Element) -> None:
    define(e, "encryption").find(f"{R}element/{R}zeroOrMore").tag = R + "optional"


HISTORY = [
    Revision("memballoon device", _do(lambda d: drop(ref_in(d, "memballoon", "devices"))), "/devices/memballoon"),
    Revision("virtio-serial port", _do(lambda d: drop(named(define(d, "virtioserialaddress"), "attribute", "port"))),
             "/address/@port"),
    Revision("virtio-serial controller and channel", _do(_virtio_serial), "/devices/"),
    Revision("disk type dir", _do(lambda d: drop(branch(define(d, "disk"), "type", "dir"))), "/disk"),
    Revision("disk serial", _do(lambda d: drop(named(define(d, "diskspec"), "element", "serial"))), "/disk/serial"),
    Revision("memoryBacking hugepages", _do(lambda d: drop(named(define(d, "resources"), "element", "memoryBacking"))),
             "/domain/memoryBacking"),
    Revision("watchdog", _do(lambda d: drop(ref_in(d, "watchdog", "devices"))), "/devices/watchdog"),
    Revision("seclabel", _do(lambda d: drop(ref_in(d, "seclabel", "domain"))), "/domain/seclabel"),
    Revision("cpu", _do(lambda d: drop(ref_in(d, "cpu", "domain"))), "/domain/cpu"),
    Revision("vcpu cpuset", _do(lambda d: drop(named(define(d, "resources"), "attribute", "cpuset"))),
             "/vcpu/@cpuset"),
    Revision("interface type direct", _do(lambda d: drop(branch(define(d, "interface"), "type", "direct"))),
             "/interface"),
    Revision("filterref", _do(lambda d: drop(named(define(d, "interface-options"), "element", "filterref"))),
             "/interface/filterref"),
    Revision("clock timers", _do(lambda d: define(d, "clock").remove(define(d, "clock").find(R + "zeroOrMore"))),
             "/domain/timer"),
    Revision("video acceleration", _do(lambda d: drop(named(define(d, "video"), "element", "acceleration"))),
             "/model/acceleration"),
    Revision("disk error_policy", _do(lambda d: drop(ref_in(d, "driverErrorPolicy", "driver"))),
             "/driver/@error_policy"),
    Revision("error_policy enospace", _do(lambda d: drop(value(define(d, "driverErrorPolicy"), "enospace"))),
             "/driver/@error_policy"),
    Revision("sound model ac97", _do(lambda d: drop(value(define(d, "sound"), "ac97"))), "/sound/@model"),
    Revision("hostdev managed", _do(_toggle_optional_group), "/hostdev"),
    Revision("graphics rdp", _do(lambda d: drop(branch(define(d, "graphic"), "type", "rdp"))), "/graphics"),
    Revision("description", _do(lambda d: drop(ref_in(d, "description", "domain"))), "/domain/description"),
    Revision("dashed uuid", _do(lambda d: define(d, "UUID").replace(define(d, "UUID").find(R + "choice"),
                                                                    kids(define(d, "UUID").find(R + "choice"))[0])),
             "uuid"),
    Revision("domain name with ':' and '/'", _do(lambda d: pattern(d, "domainName", r"[A-Za-z0-9_\.\+\-&]+")),
             "/domain/name"),
    Revision("unsignedInt spelled with digits only", _do(_unsigned_without_pattern), "/", newer_accepts_more=False),
    Revision("memory minimum", _do(lambda d: define(d, "memoryKB").find(R + "data").remove(params(d, "memoryKB")[1])),
             "emory", newer_accepts_more=False),
    Revision("timer catchup attributes", _do(_catchup_required), "/catchup"),
    Revision("name and uuid in any order", _do(_order), "/domain"),
    Revision("changed start", _do(_start_with_devices), "/devices", newer_accepts_more=False),
    Revision("encryption secrets repeat (included file only)", _encryption_secret_once, "/encryption/secret"),
    Revision("encryption format qcow (included file only)",
             lambda d, e: drop(value(define(e, "encryption"), "qcow")), "/encryption/@format"),
]


# ---------------------------------------------------------------- cosmetic rewrites
def _reindent(d: etree._Element) -> None:
    for el in d.iter():
        el.tail = None
        if len(el) and isinstance(el.tag, str):
            el.text = None
    etree.indent(d, space="\t")


def _comments(d: etree._Element) -> None:
    for c in list(d.iter(etree.Comment)):
        c.getparent().remove(c)
    for df in list(d.iter(R + "define"))[::7]:
        df.addprevious(etree.Comment(" a note "))


def _reorder_defines(d: etree._Element) -> None:
    defs = d.findall(R + "define")
    for df in defs:
        d.remove(df)
    for df in reversed(defs):
        d.append(df)


def _rename(d: etree._Element) -> None:
    for old, new in (("driverCache", "diskCacheMode"), ("address", "deviceAddress")):
        for x in list(d.iter(R + "define", R + "ref")):
            if x.get("name") == old:
                x.set("name", new)


def _inline(d: etree._Element, name: str) -> None:
    df = define(d, name)
    for r in [r for r in d.iter(R + "ref") if r.get("name") == name]:
        body = [copy.deepcopy(c) for c in kids(df)]
        if len(body) == 1:
            r.getparent().replace(r, body[0])
        else:
            group = E("group")
            group.extend(body)
            r.getparent().replace(r, group)
    d.remove(df)


def _inline_some(d: etree._Element) -> None:
    for name in ("driverCache", "target", "cpuTopology", "pciaddress", "countCPU", "absFilePath"):
        _inline(d, name)


def _factor_out(d: etree._Element) -> None:
    for element, new in (("mac", "macElement"), ("acceleration", "videoAcceleration")):
        el = next(x for x in d.iter(R + "element") if x.get("name") == element)
        el.addprevious(E("ref", name=new))
        df = E("define", name=new)
        df.append(el)
        d.append(df)


def _reverse_all(tag: str) -> Callable[[etree._Element], None]:
    def edit(d: etree._Element) -> None:
        for el in list(d.iter(R + tag)):
            reverse_children(el)
    return edit


def _repetition_forms(d: etree._Element) -> None:
    # inside the devices' zeroOrMore choice, <ref/> becomes <optional><ref/></optional>
    for r in kids(define(d, "devices").find(f".//{R}zeroOrMore/{R}choice")):
        wrap(r, "optional")
    # <optional><zeroOrMore>timer</zeroOrMore></optional> is <zeroOrMore>timer</zeroOrMore>
    wrap(define(d, "clock").find(R + "zeroOrMore"), "optional")
    # <zeroOrMore>X</zeroOrMore> as <optional><oneOrMore>X</oneOrMore></optional>
    for z in list(d.iter(R + "zeroOrMore"))[::2]:
        z.tag = R + "oneOrMore"
        wrap(z, "optional")
    # <optional>X</optional> as <choice><group>X</group><empty/></choice>
    for o in [o for o in d.iter(R + "optional")][1::5]:
        body = kids(o)
        o.tag = R + "choice"
        if len(body) > 1:
            group = E("group")
            body[0].addprevious(group)
            group.extend(body)
        o.append(E("empty"))


def _attribute_repetitions(d: etree._Element) -> None:
    # an attribute cannot repeat: <zeroOrMore> of an optional one and <oneOrMore> of a
    # required one say what <optional> and the attribute alone say
    named(define(d, "resources"), "attribute", "cpuset").getparent().tag = R + "zeroOrMore"
    wrap(named(define(d, "sound"), "attribute", "model"), "oneOrMore")
    wrap(named(define(d, "pciaddress"), "attribute", "slot"), "oneOrMore")


def _divs(d: etree._Element) -> None:
    defs = d.findall(R + "define")
    for at in range(0, len(defs), 9):
        div = E("div")
        defs[at].addprevious(div)
        div.extend(defs[at:at + 9])


def _combine(d: etree._Element) -> None:
    df = define(d, "offOptions")
    values = kids(df.find(R + "choice"))
    df.set("combine", "choice")
    second = E("define", name="offOptions", combine="choice")
    rest = E("choice")
    rest.extend(values[2:])
    second.append(rest)
    df.addnext(second)


def _name_forms(d: etree._Element) -> None:
    for a in d.iter(R + "attribute"):
        if not kids(a):
            a.append(E("text"))
    for el in list(d.iter(R + "element"))[::3]:
        name = E("name")
        name.text = el.attrib.pop("name")
        el.insert(0, name)


def _attribute_order(d: etree._Element) -> None:
    for name in ("cpuTopology", "pciaddress", "cpuFeature"):
        df = define(d, name)
        holder = df.find(R + "element")
        reverse_children(holder if holder is not None else df)


def _include_inlined(d: etree._Element, e: etree._Element) -> None:
    inc = d.find(R + "include")
    for df in e.findall(R + "define"):
        inc.addprevious(copy.deepcopy(df))
    d.remove(inc)


COSMETIC = [
    Revision("indentation", _do(_reindent), None),
    Revision("comments", _do(_comments), None),
    Revision("defines reordered", _do(_reorder_defines), None),
    Revision("defines renamed", _do(_rename), None),
    Revision("defines inlined", _do(_inline_some), None),
    Revision("defines factored out", _do(_factor_out), None),
    Revision("choice branches reordered", _do(_reverse_all("choice")), None),
    Revision("interleave reordered", _do(_reverse_all("interleave")), None),
    Revision("optional, zeroOrMore and oneOrMore forms", _do(_repetition_forms), None),
    Revision("attribute repetitions", _do(_attribute_repetitions), None),
    Revision("divs", _do(_divs), None),
    Revision("define combined from two", _do(_combine), None),
    Revision("name and text forms", _do(_name_forms), None),
    Revision("attribute order", _do(_attribute_order), None),
    Revision("included file inlined", _include_inlined, None),
    Revision("rng: prefix", lambda d, e: None, None),  # the writer spells every element rng:...
]


def write(root: etree._Element, path: Path, prefixed: bool = False) -> None:
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    if prefixed:
        data = re.sub(rb"<(/?)(?=[A-Za-z])", rb"<\1rng:", data)
        data = data.replace(f'xmlns="{NS}"'.encode(), f'xmlns:rng="{NS}"'.encode())
    path.write_bytes(data)


def build(schemas: Path, revision: Revision, where: Path) -> tuple[Path, Path]:
    """Write the grammars before and after ``revision`` into two directories under ``where``
    (each with its own storageencryption.rng); return the two domain.rng paths."""
    before, after = where / "before", where / "after"
    parser = etree.XMLParser(remove_blank_text=False)
    for d in (before, after):
        d.mkdir(parents=True, exist_ok=True)
    roots = {n: etree.parse(str(schemas / n), parser).getroot() for n in ("domain.rng", "storageencryption.rng")}
    for name, root in roots.items():
        write(root, after / name)
    revision.edit(roots["domain.rng"], roots["storageencryption.rng"])
    for name, root in roots.items():
        write(root, before / name, prefixed=revision.name == "rng: prefix")
    return before / "domain.rng", after / "domain.rng"
