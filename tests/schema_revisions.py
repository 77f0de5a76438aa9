"""Revisions of libvirt's 2010 domain schema, made in memory the way real ones were.

Each revision edits the text of ``domain.rng`` (read at test time from ../shared,
never copied): the kinds of change libvirt's schema went through in 2009-2010
(a device added, an attribute or enumeration value added, something made optional
or required, a choice removed, a pattern or datatype changed, a repetition
allowed, an order relaxed) and cosmetic ones (whitespace, comments, define order,
define names, ``div``) that change no document's validity.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Revision:
    name: str
    edit: Callable[[str], str]  # old text -> new text
    only_new: str | None  # a fragment of the path a NEW-only witness must have (None: none expected)
    only_old: str | None


def _once(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return edit


def _reorder_defines(text: str) -> str:
    head, _, rest = text.partition("<define ")
    body, end = rest.rsplit("</grammar>", 1)
    defines = re.split(r"(?=<define )", "<define " + body)
    return head + "".join(reversed([d for d in defines if d.strip()])) + "\n</grammar>" + end


def _rename_define(text: str) -> str:
    assert 'name="driverCache"' in text
    return text.replace('name="driverCache"', 'name="diskCacheMode"')


MEMBALLOON = """<define name="memballoon">
    <element name="memballoon">
      <attribute name="model">
        <choice>
          <value>virtio</value>
          <value>xen</value>
        </choice>
      </attribute>
      <optional>
        <ref name="address"/>
      </optional>
    </element>
  </define>"""

REVISIONS = [
    Revision("cache mode added", _once("<value>writethrough</value>",
                                       "<value>writethrough</value>\n        <value>unsafe</value>"),
             "/driver/@cache", None),
    Revision("error policy value removed", _once("<value>enospace</value>\n", ""), None, "/driver/@error_policy"),
    Revision("device added", _once('<ref name="channel"/>',
                                   '<ref name="channel"/>\n            <element name="smartcard"><attribute name="mode">'
                                   '<value>host</value></attribute><empty/></element>'),
             "/devices/smartcard", None),
    Revision("attribute added", _once('<define name="driverCache">\n    <attribute name="cache">',
                                      '<define name="driverCache">\n    <optional><attribute name="io"><choice>'
                                      '<value>native</value><value>threads</value></choice></attribute></optional>'
                                      '\n    <attribute name="cache">'), "/driver/@io", None),
    Revision("memballoon model required gone", _once(MEMBALLOON, MEMBALLOON.replace(
        '<attribute name="model">', '<optional><attribute name="model">').replace(
        "</attribute>\n      <optional>", "</attribute></optional>\n      <optional>")), "/memballoon", None),
    Revision("optional made required", _once('<optional>\n        <element name="on_poweroff">\n          <ref name="offOptions"/>\n        </element>\n      </optional>',
                                             '<element name="on_poweroff">\n          <ref name="offOptions"/>\n        </element>'),
             None, "/domain"),
    Revision("hypervisor type removed", _once("<value>kqemu</value>\n", ""), None, "/domain/@type"),
    Revision("path pattern widened", _once("/[a-zA-Z0-9_\\.\\+\\-&amp;/%]+</param>",
                                           "/[a-zA-Z0-9_\\.\\+\\-&amp;/%,:]+</param>"), "@", None),
    Revision("uuid pattern narrowed", _once("<param name=\"pattern\">[a-fA-F0-9]{32}</param>",
                                            "<param name=\"pattern\">[a-f0-9]{32}</param>"), None, "/uuid"),
    Revision("repetition allowed", _once('<optional>\n      <element name="readonly">\n        <empty/>\n      </element>\n    </optional>',
                                         '<zeroOrMore>\n      <element name="readonly">\n        <empty/>\n      </element>\n    </zeroOrMore>'),
             "/readonly", None),
    Revision("datatype narrowed", lambda t: re.sub(r'(<element name="vcpu">.*?<ref name=")countCPU(")',
                                                   r"\1countCPUsmall\2", t, count=1, flags=re.S).replace(
        '<define name="UUID">', '<define name="countCPUsmall"><data type="unsignedShort"><param name="pattern">[0-9]+</param>'
        '<param name="minInclusive">1</param><param name="maxInclusive">64</param></data></define>\n'
        '  <define name="UUID">', 1), None, "/vcpu"),
    Revision("timer moved into clock", _once(
        '<define name="clock">\n    <zeroOrMore>\n      <ref name="timer"/>\n    </zeroOrMore>\n'
        '    <optional>\n      <element name="clock">',
        '<define name="clock">\n    <optional>\n      <element name="clock">\n'
        '        <zeroOrMore>\n          <ref name="timer"/>\n        </zeroOrMore>'), "/clock/timer", "/domain/timer"),
    Revision("label text given a pattern", _once(
        '<element name="label">\n        <text/>',
        '<element name="label">\n        <data type="string">'
        '<param name="pattern">[a-z_]+:[a-z_]+:[a-z_]+:s[0-9]+(:c[0-9,]+)?</param></data>'), None, "/seclabel/label"),
    Revision("cpu element removed", _once('<optional>\n          <ref name="cpu"/>\n        </optional>\n', ""),
             None, "/domain/cpu"),
    Revision("hostdev value added", _once(
        '<attribute name="managed">\n          <choice>\n            <value>yes</value>',
        '<attribute name="managed">\n          <choice>\n            <value>yes</value>\n            <value>auto</value>'),
        "/hostdev/@managed", None),
    Revision("element renamed", lambda t: t.replace('<element name="shareable">', '<element name="sharable">', 1),
             "/disk/sharable", "/disk/shareable"),
    Revision("whitespace and indentation", lambda t: re.sub(r"\n\s*", "\n\t", t), None, None),
    Revision("comments", lambda t: re.sub(r"<!--.*?-->", "", t, flags=re.S).replace(
        "<define ", "<!-- a note -->\n  <define ", 5), None, None),
    Revision("defines reordered", _reorder_defines, None, None),
    Revision("define renamed", _rename_define, None, None),
    Revision("defines in a div", lambda t: t.replace('<define name="driverCache">', '<div><define name="driverCache">', 1)
             .replace('</define>\n  <define name="driverErrorPolicy">', '</define></div>\n  <define name="driverErrorPolicy">', 1),
             None, None),
]
