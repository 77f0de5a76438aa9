"""Character devices: serial, parallel, console and channel share one model.

libvirt 0.8.3 (virDomainChrDefParseXML) reads the <source> children into a
few slots that depend on the device type - a path, a bind and a connect
endpoint - and prints them back in a canonical layout; the model keeps that
canonical layout (``sources``), so formatting is the generic one. What kind of
device it is (serial, parallel, console, channel with a guestfwd or virtio
target) is ``target.kind``, which also names the element libvirt prints.
"""
from __future__ import annotations

from lxml import etree

from .address import Address, VirtioSerialAddress, read_address
from .base import Attr, AttrChild, Child, Children, CInt, Element, Signed, xml_error

CHR_TYPES = ("null", "vc", "pty", "dev", "file", "pipe", "stdio", "udp", "tcp", "unix")
#: virDomainChrTarget: what a <target type='...'> of a channel may name
TARGET_KINDS = ("null", "monitor", "parallel", "serial", "console", "guestfwd", "virtio")
CHANNEL_TARGETS = ("guestfwd", "virtio")
_PORT = CInt("ui", 10, "Invalid port number: %s")


def _is(kind: str):  # noqa: ANN202 - a show predicate
    return lambda t: t.kind == kind


class ChrSource(Element):
    """One endpoint; host and service are printed as written (libvirt does not
    escape them), a path is escaped."""

    mode = Attr("mode")
    host = Attr("host", raw=True)
    service = Attr("service", raw=True)
    path = Attr("path")
    wiremode = Attr("wiremode", read=False)


class ChrTarget(Element):
    """Where the guest sees the device. ``kind`` is libvirt's target type: the
    element's own name for serial/parallel/console, the type attribute of a
    channel's target."""

    type = Attr("type", show=lambda t: t.kind in CHANNEL_TARGETS)
    address = Attr("address", show=_is("guestfwd"))
    port = Attr("port", Signed(_PORT), show=lambda t: t.kind != "virtio")
    name = Attr("name", show=lambda t: t.kind == "virtio" and t.name is not None)

    def __init__(self, kind: str | None = None, **values: object) -> None:
        super().__init__(**values)
        kind = kind or values.get("type") or "serial"  # type: ignore[assignment]
        self.kind = kind
        if self.port is None:
            self.port = 0
        if kind in CHANNEL_TARGETS:
            self.type = kind


class CharDev(Element):
    type = Attr("type", default="pty")
    tty = Attr("tty", read=False)
    sources = Children("source", ChrSource, read=False)
    protocol = AttrChild("protocol", "type", read=False)
    target = Child("target", ChrTarget, read=False)
    address = Child("address", Address, read=False)

    #: the <console> libvirt prints for an HVM guest's first serial port: that port
    #: again, not a device of its own
    echo = False

    @property
    def element_name(self) -> str:
        """The element libvirt prints this device as (its target kind decides)."""
        kind = self.target.kind if self.target is not None else "null"
        return "channel" if kind in CHANNEL_TARGETS else kind

    def write(self, out: list[str], tag: str, indent: int) -> None:
        super().write(out, self.element_name, indent)

    # ---- views used by the argv builder
    def source(self, mode: str | None = None) -> ChrSource | None:
        for s in self.sources:
            if mode is None or s.mode == mode:
                return s
        return None

    @property
    def path(self) -> str | None:
        s = self.source()
        return s.path if s else None

    def as_console(self) -> CharDev:
        """libvirt's <console> echo of the first serial port (a copy of it printed
        as a console: same source, target port and address)."""
        console = self.copy()
        console.target = ChrTarget("console", port=self.target.port)
        console.echo = True
        return console

    # ---- devices built by hand (the argv parser)
    def normalise(self) -> None:
        """Canonical sources, as libvirt's reader would have kept them."""
        if self.type == "tcp":
            s = self.sources[0]
            self.sources = [ChrSource(mode=s.mode or "connect", host=s.host, service=s.service)]
            self.protocol = self.protocol or "raw"
            return
        self.protocol = None
        if self.type == "unix":
            s = self.sources[0]
            self.sources = [ChrSource(mode=s.mode or "connect", path=s.path)]

    def apply_target(self, kind: str, index: int) -> None:
        """serial/parallel/console: ``port`` is the position; channels keep their target
        and a virtio one gets a virtio-serial address."""
        if kind != "channel":
            self.target = ChrTarget(kind, port=index)
        elif self.target is not None and self.target.kind == "virtio" and self.address is None:
            self.address = VirtioSerialAddress(type="virtio-serial", controller=0, bus=0, port=0)

    # ---- libvirt's reading
    def parsed(self, elem: etree._Element) -> None:
        """virDomainChrDefParseXML for an inactive definition."""
        if self.type not in CHR_TYPES:
            self.type = "null"  # an unknown type is the null device
        t = self.type
        kind = elem.tag if elem.tag in ("serial", "parallel", "console") else "null"
        target = ChrTarget(kind) if kind != "null" else None
        mode = path = protocol = None
        bind: dict[str, str | None] = {"host": None, "service": None}
        conn: dict[str, str | None] = {"host": None, "service": None}
        for c in elem:
            if c.tag == "source":
                if mode is None:
                    mode = c.get("mode")
                if t in ("pty", "dev", "file", "pipe", "unix"):
                    if path is None and t != "pty":  # a pty's path only lives while running
                        path = c.get("path")
                elif t in ("udp", "tcp"):
                    if mode is None or mode == "connect":
                        ends = conn
                    elif mode == "bind":
                        ends = bind
                    else:
                        raise self.error(f"Unknown source mode '{mode}'")
                    for k in ("host", "service"):
                        if ends[k] is None:
                            ends[k] = c.get(k)
                    if t == "udp":
                        mode = None
            elif c.tag == "protocol":
                if protocol is None:
                    protocol = c.get("type")
            elif c.tag == "target":
                target = self._target(c, target)
        self.target = target
        self.protocol = None
        if t in ("pty", "dev", "file", "pipe"):
            if path is None and t != "pty":
                raise self.error("Missing source path attribute for char device")
            self.sources = [ChrSource(path=path)] if path is not None else []
        elif t == "udp":
            if conn["service"] is None:
                raise self.error("Missing source service attribute for char device")
            self.sources = []
            if bind["host"] is not None or bind["service"] is not None:
                self.sources.append(ChrSource(mode="bind", **bind))
            self.sources.append(ChrSource(mode="connect", **conn))
        elif t == "tcp":
            listen = not (mode is None or mode == "connect")
            ends = bind if listen else conn
            if ends["host"] is None:
                raise self.error("Missing source host attribute for char device")
            if ends["service"] is None:
                raise self.error("Missing source service attribute for char device")
            self.sources = [ChrSource(mode="bind" if listen else "connect", **ends)]
            if protocol not in (None, "raw", "telnet"):
                raise self.error(f"Unknown protocol '{protocol}'")
            self.protocol = protocol or "raw"
        elif t == "unix":
            if path is None:
                raise self.error("Missing source path attribute for char device")
            listen = mode is not None and mode != "connect"
            self.sources = [ChrSource(mode="bind" if listen else "connect", path=path)]
        else:
            self.sources = []
        self.address = read_address(self, elem)

    def _target(self, elem: etree._Element, target: ChrTarget | None) -> ChrTarget:
        """virDomainChrDefParseTargetXML: a channel's first <target> names its kind."""
        if target is None:
            kind = elem.get("type")
            if kind is None:
                raise self.error(xml_error("character device target does not define a type"))
            if kind not in TARGET_KINDS:
                raise self.error(xml_error(f"unknown target type for character device: {kind}"))
            target = ChrTarget(kind)
        if target.kind == "guestfwd":
            addr = elem.get("address")
            port = elem.get("port")
            if addr is None:
                raise self.error(xml_error("guestfwd channel does not define a target address"))
            family, canonical = inet_addr(addr)
            if family is None:
                raise self.error(xml_error(f"{addr} is not a valid address"))
            if family != 4:
                raise self.error("guestfwd channel only supports IPv4 addresses")
            if port is None:
                raise self.error(xml_error("guestfwd channel does not define a target port"))
            target.address = canonical
            target.port = self._port(port) & 0xFFFF  # kept in a sockaddr: 16 bits
        elif target.kind == "virtio":
            target.name = elem.get("name")
        else:
            port = elem.get("port")
            if port is not None:
                self._port(port)  # checked, then replaced by the device's position
        return target

    def _port(self, text: str) -> int:
        try:
            return _PORT.parse(text)
        except ValueError as e:
            raise self.error(f"XML description for {e} is not well formed or invalid") from None

    def printable(self) -> None:
        """virDomainChrDefFormat cannot print a device whose target kind is unknown."""
        kind = self.target.kind if self.target is not None else "null"
        if kind in ("null", "monitor"):
            raise self.error(f"unexpected character destination type {TARGET_KINDS.index(kind)}")

    @property
    def virtio_serial(self) -> VirtioSerialAddress | None:
        a = self.address
        return a if isinstance(a, VirtioSerialAddress) else None


def inet_addr(text: str) -> tuple[int | None, str | None]:
    """getaddrinfo(AI_NUMERICHOST) as glibc does it: (4, dotted quad) for the IPv4
    forms inet_aton takes (a, a.b, a.b.c, a.b.c.d; octal and hex parts), (6, None)
    for an IPv6 address, (None, None) otherwise."""
    from . import cvalues
    parts = text.split(".")
    if len(parts) <= 4 and all(p[:1].isdigit() for p in parts):
        vals = []
        for p in parts:
            v, used, over = cvalues.strtoul(p, 0)
            if over or used != len(p) or v > 0xFFFFFFFF:
                vals = None
                break
            vals.append(v)
        if vals is not None:
            limits = {1: [0xFFFFFFFF], 2: [0xFF, 0xFFFFFF], 3: [0xFF, 0xFF, 0xFFFF],
                      4: [0xFF] * 4}[len(vals)]
            if all(v <= lim for v, lim in zip(vals, limits, strict=True)):
                word = 0
                shift = 24
                for v in vals[:-1]:
                    word |= v << shift
                    shift -= 8
                word |= vals[-1]
                return 4, ".".join(str((word >> s) & 0xFF) for s in (24, 16, 8, 0))
    import ipaddress
    try:
        ipaddress.IPv6Address(text.split("%", 1)[0])
        return 6, None
    except ValueError:
        return None, None

