"""Character devices: serial, parallel, console and channel share one model.

Sources are normalised to libvirt's canonical layout (tcp: one source with
mode/host/service; udp: bind source then connect source; ...), so formatting is
the generic one.
"""
from __future__ import annotations

from .address import Address, VirtioSerialAddress
from .base import UINT, Attr, AttrChild, Child, Children, Element, Enum

CHR_TYPES = ("null", "vc", "pty", "dev", "file", "pipe", "stdio", "udp", "tcp", "unix")
CHANNEL_TARGETS = ("guestfwd", "virtio")


class ChrSource(Element):
    mode = Attr("mode", Enum("bind", "connect"))
    host = Attr("host")
    service = Attr("service")
    path = Attr("path")


class ChrTarget(Element):
    type = Attr("type", Enum(*CHANNEL_TARGETS))
    address = Attr("address")
    port = Attr("port", UINT)
    name = Attr("name")


class CharDev(Element):
    type = Attr("type", Enum(*CHR_TYPES), "pty")
    tty = Attr("tty")
    sources = Children("source", ChrSource)
    protocol = AttrChild("protocol", "type", Enum("raw", "telnet"))
    target = Child("target", ChrTarget)
    address = Child("address", Address)

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
        """libvirt's <console>: this device (the first serial port, or a PV console) at
        port 0, with the legacy tty attribute when it is a pty with a known path."""
        console = self.copy()
        console.target.port = 0
        console.tty = console.path if console.type == "pty" and console.path else None
        return console

    def normalise(self) -> None:
        """virDomainChrDefParseXML's rules: required parts and canonical sources."""
        self.tty = None
        t = self.type
        first = self.sources[0] if self.sources else ChrSource()
        if t in ("pty", "dev", "file", "pipe"):
            path = next((s.path for s in self.sources if s.path), None)
            if path is None and t != "pty":
                raise self.error("missing source path attribute for char device")
            self.sources = [ChrSource(path=path)] if path else []
            self.protocol = None
        elif t == "unix":
            path = next((s.path for s in self.sources if s.path), None)
            if path is None:
                raise self.error("missing source path attribute for char device")
            self.sources = [ChrSource(mode=first.mode or "connect", path=path)]
            self.protocol = None
        elif t == "tcp":
            if not first.host:
                raise self.error("missing source host attribute for char device")
            if not first.service:
                raise self.error("missing source service attribute for char device")
            self.sources = [ChrSource(mode=first.mode or "connect", host=first.host,
                                      service=first.service)]
            self.protocol = self.protocol or "raw"
        elif t == "udp":
            bind = next((s for s in self.sources if s.mode == "bind"), None)
            conn = next((s for s in self.sources if s.mode in (None, "connect")), None)
            if conn is None or not conn.service:
                raise self.error("missing source service attribute for char device")
            out = []
            if bind is not None and (bind.host or bind.service):
                out.append(ChrSource(mode="bind", host=bind.host, service=bind.service))
            out.append(ChrSource(mode="connect", host=conn.host, service=conn.service))
            self.sources = out
            self.protocol = None
        else:  # null, vc, stdio
            self.sources = []
            self.protocol = None

    def apply_target(self, kind: str, index: int) -> None:
        """serial/parallel/console: ``port`` is the position; channels keep their target."""
        if kind == "channel":
            tgt = self.target
            if tgt is None or tgt.type is None:
                raise self.error("channel lacks a target type")
            if tgt.type == "guestfwd":
                if not tgt.address or tgt.port is None:
                    raise self.error("guestfwd channel needs target address and port")
                _check_ipv4(self, tgt.address)
                if tgt.port > 65535:
                    raise self.error("guestfwd port out of range")
                self.target = ChrTarget(type="guestfwd", address=tgt.address, port=tgt.port)
                self.address = None
            else:
                self.target = ChrTarget(type="virtio", name=tgt.name)
                if self.address is None:
                    self.address = VirtioSerialAddress(type="virtio-serial", controller=0, bus=0, port=0)
                elif not isinstance(self.address, VirtioSerialAddress):
                    raise self.error("virtio channel needs a virtio-serial address")
        else:
            self.target = ChrTarget(port=index)


def _check_ipv4(dev: CharDev, addr: str) -> None:
    parts = addr.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) <= 255 for p in parts):
        raise dev.error(f"guestfwd address '{addr}' is not an IPv4 address")
