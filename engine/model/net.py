"""Network interfaces: every libvirt 0.8.3 type, MAC defaults, inactive ifname rule."""
from __future__ import annotations

import hashlib
import re

from .address import PORT, Address
from .base import Attr, AttrChild, Child, Children, Conv, Element, Enum, Uuid, _Int

NET_TYPES = ("user", "ethernet", "server", "client", "mcast", "network", "bridge",
             "internal", "direct")
DIRECT_MODES = ("vepa", "private", "bridge")
_MODEL_RE = re.compile(r"^[a-zA-Z0-9\-_]+$")
_HEX12 = re.compile(r"[0-9a-fA-F]{1,2}")


class Mac(Conv):
    """aa:bb:cc:dd:ee:ff; libvirt formats with %02x, so case and padding normalise."""

    name = "mac"

    def parse(self, text: str) -> str:
        parts = text.split(":")
        if len(parts) != 6 or not all(_HEX12.fullmatch(p) for p in parts):
            raise ValueError(f"malformed mac address '{text}'")
        return ":".join(f"{int(p, 16):02x}" for p in parts)


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
    mode = Attr("mode", Enum(*DIRECT_MODES))
    address = Attr("address")
    port = Attr("port", PORT)
    name = Attr("name")


class VirtualPortParameters(Element):
    managerid = Attr("managerid", _Int(10, 0, 255))
    typeid = Attr("typeid", _Int(10, 0, 0xFFFFFF))
    typeidversion = Attr("typeidversion", _Int(10, 0, 255))
    instanceid = Attr("instanceid", Uuid())
    profileid = Attr("profileid")


class VirtualPort(Element):
    """802.1Qbg/802.1Qbh port profile of a direct (macvtap) interface."""

    type = Attr("type", Enum("802.1Qbg", "802.1Qbh"))
    parameters = Child("parameters", VirtualPortParameters)


class FilterParameter(Element):
    name = Attr("name")
    value = Attr("value")


class FilterRef(Element):
    filter = Attr("filter")
    parameters = Children("parameter", FilterParameter)


class Interface(Element):
    type = Attr("type", Enum(*NET_TYPES))
    mac = AttrChild("mac", "address", MAC)
    source = Child("source", NetSource)
    virtualport = Child("virtualport", VirtualPort)
    ip = AttrChild("ip", "address")
    script = AttrChild("script", "path")
    target = AttrChild("target", "dev")
    model = AttrChild("model", "type")
    filterref = Child("filterref", FilterRef)
    address = Child("address", Address)

    def parsed(self) -> None:
        # libvirt blanks auto-generated tap names when parsing
        if self.target is not None and self.target.startswith("vnet"):
            self.target = None
        if self.model is not None and not _MODEL_RE.match(self.model):
            raise self.error("model name contains invalid characters")

    def apply_defaults(self, seed: str) -> None:
        if self.mac is None:
            self.mac = generated_mac(seed)
        src = self.source or NetSource()
        t = self.type
        keep: dict[str, object] = {}
        if t == "network":
            if not src.network:
                raise self.error("no <source> 'network' attribute specified with <interface type='network'/>")
            keep = {"network": src.network}
        elif t == "bridge":
            if not src.bridge:
                raise self.error("no <source> 'bridge' attribute specified with <interface type='bridge'/>")
            keep = {"bridge": src.bridge}
        elif t == "ethernet":
            keep = {"dev": src.dev} if src.dev else {}
        elif t in ("server", "client", "mcast"):
            if src.port is None:
                raise self.error("no <source> 'port' attribute specified with socket interface")
            if t != "server" and not src.address:
                raise self.error("no <source> 'address' attribute specified with socket interface")
            keep = {"address": src.address, "port": src.port}
        elif t == "internal":
            if not src.name:
                raise self.error("no <source> 'name' attribute specified with <interface type='internal'/>")
            keep = {"name": src.name}
        elif t == "direct":
            if not src.dev:
                raise self.error("no <source> 'dev' attribute specified with <interface type='direct'/>")
            keep = {"dev": src.dev, "mode": src.mode or "vepa"}
        self.source = NetSource(**keep) if keep else None
        if t != "direct":
            self.virtualport = None
        elif self.virtualport is not None:
            self._virtualport_defaults(seed)
        if t not in ("ethernet", "bridge"):
            self.ip = None
            self.script = None

    def _virtualport_defaults(self, seed: str) -> None:
        """virVirtualPortProfileParamsParseXML: 802.1Qbg needs its ids and gets an
        instance id (libvirt draws one at random; ours derives from the seed)."""
        vp = self.virtualport
        p = vp.parameters
        if p is None:
            raise vp.error("missing <parameters> for the virtual port")
        if vp.type == "802.1Qbg":
            if p.managerid is None or p.typeid is None or p.typeidversion is None:
                raise vp.error("a managerid, typeid and typeidversion are needed for 802.1Qbg")
            if p.instanceid is None:
                import uuid as _uuid
                p.instanceid = str(_uuid.uuid5(_uuid.NAMESPACE_OID, seed))
            p.profileid = None
        else:
            if not p.profileid:
                raise vp.error("a profileid is needed for 802.1Qbh")
            p.managerid = p.typeid = p.typeidversion = p.instanceid = None
