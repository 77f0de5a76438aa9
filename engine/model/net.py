"""Network interfaces: every libvirt 0.8.3 type, MAC defaults, inactive ifname rule.

virDomainNetDefParseXML reads a NIC's children in one pass, and which <source>
attributes it reads depends on the NIC type; some of its guards let a later
element overwrite an earlier one (bridge, model, filterref), others keep the
first that has a value. The model stores what libvirt keeps, in the layout it
prints.
"""
from __future__ import annotations

import hashlib
import uuid as _uuid

from lxml import etree

from . import cvalues
from .address import PORT, Address, PciAddress
from .base import Attr, AttrChild, Child, Children, CInt, Conv, Element

NET_TYPES = ("user", "ethernet", "server", "client", "mcast", "network", "bridge",
             "internal", "direct")
DIRECT_MODES = ("vepa", "private", "bridge")
_VARNAME = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


class Mac(Conv):
    """virParseMacAddr: aa:bb:cc:dd:ee:ff (one or two hex digits a part), printed %02x."""

    name = "mac"

    def parse(self, text: str) -> str:
        v = cvalues.mac_parse(text)
        if v is None:
            raise ValueError(f"unable to parse mac address '{text}'")
        return v


MAC = Mac()


def generated_mac(seed: str) -> str:
    """virCapabilitiesGenerateMac draws 52:54:00:xx:xx:xx at random; ours is
    derived from a seed so that conversions are reproducible."""
    h = hashlib.sha256(seed.encode()).digest()
    return "52:54:00:" + ":".join(f"{b:02x}" for b in h[:3])


class NetSource(Element):
    network = Attr("network")
    bridge = Attr("bridge")
    dev = Attr("dev")
    mode = Attr("mode")
    address = Attr("address", raw=True)
    port = Attr("port", PORT)
    name = Attr("name")


def _uint_in(text: str, top: int, what: str, outside: str) -> int:
    v = cvalues.str_to_ui(text, 0)
    if v is None:
        raise ValueError(f"cannot parse value of {what} parameter")
    if v > top:
        raise ValueError(outside)
    return v


class VirtualPortParameters(Element):
    managerid = Attr("managerid", CInt("ui", 0))
    typeid = Attr("typeid", CInt("ui", 0))
    typeidversion = Attr("typeidversion", CInt("ui", 0))
    instanceid = Attr("instanceid")
    profileid = Attr("profileid", raw=True)


class VirtualPort(Element):
    """802.1Qbg/802.1Qbh port profile of a direct (macvtap) interface
    (virVirtualPortProfileParamsParseXML)."""

    type = Attr("type")
    parameters = Child("parameters", VirtualPortParameters, read=False)

    def parsed(self, elem: etree._Element) -> None:
        if self.type is None:
            raise self.error("missing virtualportprofile type")
        if self.type not in ("802.1Qbg", "802.1Qbh"):
            raise self.error(f"unknown virtualportprofile type {self.type}")
        p = next((c for c in elem if c.tag == "parameters"), None)
        get = (lambda k: p.get(k)) if p is not None else (lambda k: None)
        if self.type == "802.1Qbg":
            mid, tid, ver = get("managerid"), get("typeid"), get("typeidversion")
            if mid is None or tid is None or ver is None:
                raise self.error("a parameter is missing for 802.1Qbg description")
            try:
                params = VirtualPortParameters(
                    managerid=_uint_in(mid, 0xFF, "managerid", "value of managerid out of range"),
                    typeid=_uint_in(tid, 0xFFFFFF, "typeid", "value for typeid out of range"),
                    typeidversion=_uint_in(ver, 0xFF, "typeidversion", "value of typeidversion out of range"))
            except ValueError as e:
                raise self.error(str(e)) from None
            iid = get("instanceid")
            if iid is not None:
                params.instanceid = cvalues.uuid_parse(iid)
                if params.instanceid is None:
                    raise self.error("cannot parse instanceid parameter as a uuid")
        else:
            pid = get("profileid")
            if pid is None:
                raise self.error("profileid parameter is missing for 802.1Qbh descripion")
            if len(pid.encode()) >= 40:
                raise self.error("profileid parameter too long")
            params = VirtualPortParameters(profileid=pid)
        self.parameters = params

    def default_instance(self, seed: str) -> None:
        """libvirt draws a random instance id when none is given; ours derives from a seed."""
        p = self.parameters
        if self.type == "802.1Qbg" and p.instanceid is None:
            p.instanceid = str(_uuid.uuid5(_uuid.NAMESPACE_OID, seed))


class FilterParameter(Element):
    name = Attr("name", raw=True)
    value = Attr("value", raw=True)


class FilterRef(Element):
    filter = Attr("filter")
    parameters = Children("parameter", FilterParameter, read=False)

    def parsed(self, elem: etree._Element) -> None:
        """virNWFilterParseParamAttributes: valid names only (libvirt checks the name
        where it means to check the value); a repeated name takes the later value.
        Printed in the order of libvirt's hash table."""
        table: dict[str, str] = {}
        for c in elem:
            if c.tag != "parameter":
                continue
            name, value = c.get("name"), c.get("value")
            if name is None or value is None:
                continue
            if not set(name) <= _VARNAME:
                continue
            table[name] = value
        order = sorted(enumerate(table), key=lambda kv: (_hash_bucket(kv[1]), kv[0]))
        self.parameters = [FilterParameter(name=n, value=table[n]) for _, n in order]


def _hash_bucket(name: str, size: int = 256) -> int:
    """virHashComputeKey of libvirt 0.8.3 (hash.c) for a table of ``size`` buckets."""
    v = 30 * _schar(name[0]) if name else 0
    for ch in name:
        v = (v ^ ((v << 5) + (v >> 3) + _schar(ch))) & 0xFFFFFFFFFFFFFFFF
    return v % size


def _schar(ch: str) -> int:
    b = ord(ch)
    return b if b < 0x80 else (b - 0x100) & 0xFFFFFFFFFFFFFFFF  # a signed char, widened


class Interface(Element):
    type = Attr("type", default="user")
    mac = AttrChild("mac", "address", MAC, read=False)
    source = Child("source", NetSource, read=False)
    virtualport = Child("virtualport", VirtualPort, read=False)
    ip = AttrChild("ip", "address", read=False, raw=True)
    script = AttrChild("script", "path", read=False)
    target = AttrChild("target", "dev", read=False)
    model = AttrChild("model", "type", read=False)
    filterref = Child("filterref", FilterRef, read=False)
    address = Child("address", Address)

    def parsed(self, elem: etree._Element) -> None:
        """virDomainNetDefParseXML for an inactive definition."""
        t = self.type
        if t not in NET_TYPES:
            raise self.error(f"unknown interface type '{t}'")
        mac = network = internal = bridge = dev = mode = address = port = ifname = script = None
        model = None
        filterref = None
        vport = None
        doc = self._src[0]
        for c in elem:
            tag = c.tag
            if tag == "mac" and mac is None:
                mac = c.get("address")
            elif tag == "source" and network is None and t == "network":
                network = c.get("network")
            elif tag == "source" and internal is None and t == "internal":
                internal = c.get("name")
            elif tag == "source" and network is None and t == "bridge":
                bridge = c.get("bridge")  # libvirt tests the wrong variable: the last one wins
            elif tag == "source" and dev is None and t in ("ethernet", "direct"):
                dev, mode = c.get("dev"), c.get("mode")
            elif tag == "virtualport" and vport is None and t == "direct":
                vport = VirtualPort.parse(c, doc)
            elif tag == "source" and network is None and t in ("server", "client", "mcast"):
                address, port = c.get("address"), c.get("port")
            elif tag == "ip" and address is None and t in ("ethernet", "bridge"):
                address = c.get("address")
            elif tag == "target" and ifname is None:
                ifname = c.get("dev")
                if ifname is not None and ifname.startswith("vnet"):
                    ifname = None  # an auto-generated tap name: blanked
            elif tag == "script" and script is None and t in ("ethernet", "bridge"):
                script = c.get("path")
            elif tag == "model":
                model = c.get("type")
            elif tag == "filterref":
                filterref = FilterRef.parse(c, doc)
        if mac is not None:
            try:
                self.mac = MAC.parse(mac)
            except ValueError as e:
                raise self.error(str(e)) from None
        if self.address is not None and not isinstance(self.address, PciAddress):
            raise self.error("Network interfaces must use 'pci' address type")
        src: NetSource | None = None
        if t == "network":
            if network is None:
                raise self.error("No <source> 'network' attribute specified with <interface type='network'/>")
            src = NetSource(network=network)
        elif t == "ethernet":
            src = NetSource(dev=dev) if dev is not None else None
            self.ip, self.script = address, script
        elif t == "bridge":
            if bridge is None:
                raise self.error("No <source> 'bridge' attribute specified with <interface type='bridge'/>")
            src = NetSource(bridge=bridge)
            self.ip, self.script = address, script
        elif t in ("server", "client", "mcast"):
            if port is None:
                raise self.error("No <source> 'port' attribute specified with socket interface")
            try:
                p = PORT.parse(port)
            except ValueError:
                raise self.error("Cannot parse <source> 'port' attribute with socket interface") from None
            if address is None and t != "server":
                raise self.error("No <source> 'address' attribute specified with socket interface")
            src = NetSource(address=address, port=p)
        elif t == "internal":
            if internal is None:
                raise self.error("No <source> 'name' attribute specified with <interface type='internal'/>")
            src = NetSource(name=internal)
        elif t == "direct":
            if dev is None:
                raise self.error("No <source> 'dev' attribute specified with <interface type='direct'/>")
            if mode is not None and mode not in DIRECT_MODES:
                raise self.error("Unkown mode has been specified")
            src = NetSource(dev=dev, mode=mode or "vepa")
            self.virtualport = vport
        self.source = src
        self.target = ifname if t != "direct" else None  # a macvtap device is named at start-up
        if model is not None:
            if not all(c.isascii() and (c.isalnum() or c == "_") for c in model):
                raise self.error("Model name contains invalid characters")
            self.model = model
        if filterref is not None and filterref.filter is not None and t in ("ethernet", "network", "bridge", "direct"):
            self.filterref = filterref

    def apply_defaults(self, seed: str) -> None:
        """What libvirt draws at random: a MAC address, an 802.1Qbg instance id."""
        if self.mac is None:
            self.mac = generated_mac(seed)
        if self.virtualport is not None:
            self.virtualport.default_instance(seed)
