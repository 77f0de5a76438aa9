"""NICs: -net nic + -net backend with vlans, -device + -net, or -netdev + -device; both directions."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..model.address import PciAddress
from ..model.net import MAC, Interface, NetSource, generated_mac
from .address import address_opt
from .argvstate import ArgvState, take
from .argvvalues import ArgError, c_int, check, device_keywords, no_more, parse_keywords, pci_address
from .context import Build
from .escape import c_str, opt
from .family import Family, Option


def nic_spec(b: Build, net: Interface, vlan: int) -> str:
    """qemuBuildNicStr: 'nic,macaddr=..,vlan=N[,model=..][,name=..]'."""
    s = f"nic,macaddr={net.mac},vlan={vlan}"
    if net.model:
        s += f",model={opt(net.model, 'NIC model')}"
    if b.alias(net):
        s += f",name={b.alias(net)}"
    return s


def nic_device_spec(b: Build, net: Interface, vlan: int) -> str:
    """qemuBuildNicDevStr."""
    model = net.model or "rtl8139"
    if model == "virtio":
        model = "virtio-net-pci"
    s = opt(model, "NIC model")
    s += f",netdev=host{b.alias(net)}" if vlan == -1 else f",vlan={vlan}"
    s += f",id={b.alias(net)},mac={net.mac}" + address_opt(b, net)
    return s


_SOCKET_KEY = {"client": "connect", "server": "listen", "mcast": "mcast"}


def host_spec(b: Build, net: Interface, sep: str, vlan: int, tapfd: str | None) -> str:
    """qemuBuildHostNetStr: the backend ('tap,..', 'socket,..', 'user')."""
    t = net.type
    parts: list[str] = []
    if t in ("network", "bridge", "direct"):
        parts = ["tap", f"{sep}fd={tapfd}"]
        sep = ","
    elif t == "ethernet":
        parts = ["tap"]
        if net.target:
            parts.append(f"{sep}ifname={opt(net.target, 'interface name')}")
            sep = ","
        if net.script:
            parts.append(f"{sep}script={opt(net.script, 'script path')}")
            sep = ","
    elif t in _SOCKET_KEY:
        src = net.source
        addr = opt(c_str(src.address if src else None), "socket address")
        port = src.port if src is not None and src.port is not None else 0
        parts = ["socket", f"{sep}{_SOCKET_KEY[t]}={addr}:{port}"]
        sep = ","
    else:  # user, and anything else (an 'internal' NIC) falls back to user-mode networking
        parts = ["user"]
    if vlan >= 0:
        parts.append(f"{sep}vlan={vlan}")
        if b.alias(net):
            parts.append(f",name=host{b.alias(net)}")
    else:
        parts.append(f"{sep}id=host{b.alias(net)}")
    return "".join(parts)


def add_nets(b: Build) -> None:
    nets = b.dom.devices.interfaces
    if not nets:
        if not b.device:  # with -device, -nodefaults already removed the default NIC
            b.arg("-net", "none")
        return
    netdev = b.has("netdev") and b.device
    for i, net in enumerate(nets):
        if net.type == "internal":
            b.warn("interface type 'internal' has no QEMU backend: libvirt 0.8.3 builds a "
                   "user-mode NIC in its place", net)
        vlan = -1 if netdev else i
        tapfd = None
        if net.type in ("network", "bridge", "direct"):
            # libvirtd opens the TAP device and passes its descriptor; number them
            # the way a launcher passing descriptors in order would.
            tapfd = str(b.next_fd)
            b.next_fd += 1
        if netdev:
            b.arg("-netdev", host_spec(b, net, ",", vlan, tapfd))
        if b.device:
            b.arg("-device", nic_device_spec(b, net, vlan))
        else:
            b.arg("-net", nic_spec(b, net, vlan))
        if not netdev:
            b.arg("-net", host_spec(b, net, ",", vlan, tapfd))


# --------------------------------------------------------------------------- argv2xml

@dataclass
class Nic:
    """The guest side of a NIC (``-net nic,...``); ``used`` once a host side claimed it."""

    vlan: int = 0
    mac: str | None = None
    model: str | None = None
    used: bool = False
    address: PciAddress | None = None

    def join(self, iface: Interface, seed: str) -> Interface:
        """The host side ``iface`` completed with this guest side."""
        iface.mac = self.mac or generated_mac(seed)
        iface.model = self.model
        iface.address = self.address
        return iface


_NIC_KEYS = {"vlan", "macaddr", "model", "name"}
_NIC_MODEL = {"virtio-net-pci": "virtio"}


def is_nic(val: str) -> bool:
    return val == "nic" or val.startswith("nic,")


def parse_nic(val: str) -> Nic:
    """-net nic[,vlan=N][,macaddr=M][,model=X][,name=ID]; vlan 0 when absent, as in QEMU."""
    nic = Nic()
    for key, v in parse_keywords(val[len("nic,"):] if val.startswith("nic,") else ""):
        assert v is not None
        if key == "vlan":
            n = c_int(v)
            if n is None or n < 0:
                raise ArgError(f"cannot parse vlan in '{val}'")
            nic.vlan = n
        elif key == "macaddr":
            # Mac.parse alone lets int() take a sign, so check the form first
            if not re.fullmatch(r"[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}", v):
                raise ArgError(f"unable to parse mac address '{v}'")
            nic.mac = MAC.parse(v)
        elif key == "model":
            nic.model = check("model name", v, "NIC model")
        elif key not in _NIC_KEYS:
            raise ArgError(f"unsupported option '{key}' for -net nic")
    return nic


def parse_net(val: str, nics: list[Nic], seed: str) -> Interface:
    """qemuParseCommandLineNet: a host-side -net value joined to the -net nic of its vlan."""
    iface, keys = _net_backend(val, netdev=False)
    vlan = 0
    if "vlan" in keys:
        n = c_int(keys["vlan"])
        if n is None:
            raise ArgError(f"cannot parse vlan in '{val}'")
        vlan = n
    nic = _find_nic(nics, vlan)
    if nic is None:
        raise ArgError(f"cannot find NIC definition for vlan {vlan}")
    nic.used = True
    return nic.join(iface, seed)


def parse_netdev(val: str) -> tuple[str, Interface]:
    """``-netdev TYPE,...,id=ID``: the host side of a NIC, joined later by ``netdev=ID``."""
    iface, keys = _net_backend(val, netdev=True)
    if not keys.get("id"):
        raise ArgError(f"-netdev without an id in '{val}'")
    return keys["id"], iface


def _net_backend(val: str, netdev: bool) -> tuple[Interface, dict[str, str]]:
    """The backend of -net/-netdev (tap, socket, user, ...) and its vlan/name/id keys."""
    head, _, rest = val.partition(",")
    kws = parse_keywords(rest) if rest else []
    if head == "tap":
        ntype = "ethernet"
    elif head == "socket":
        ntype = "client"
    elif head == "user":
        ntype = "user"
    elif netdev:
        raise ArgError(f"unsupported -netdev type '{head}'")
    else:
        ntype = "ethernet"  # libvirt: any other backend is a generic ethernet
    keys: dict[str, str] = {}
    script = ifname = None
    source: NetSource | None = None
    for key, v in kws:
        assert v is not None
        if key in (("id",) if netdev else ("vlan", "name")):
            keys[key] = v
        elif head == "tap" and key == "script":
            script = check("file path", v, "network script") if v else None
        elif head == "tap" and key == "ifname":
            ifname = check("device name", v, "interface name")
        elif head == "tap" and key == "fd":
            continue  # an fd libvirt opened for a network/bridge: the kind is lost
        elif head == "socket" and key in ("connect", "listen", "mcast"):
            host, sep, port = v.rpartition(":")
            p = c_int(port) if sep else None
            if p is None or not 0 <= p <= 65535:
                raise ArgError(f"cannot parse socket address '{v}' in '{val}'")
            ntype = {"connect": "client", "listen": "server", "mcast": "mcast"}[key]
            if host:
                check("IP address" if key == "mcast" else "host name", host, "socket address")
            source = NetSource(address=host or None, port=p)
        else:
            raise ArgError(f"unsupported option '{key}' for -{'netdev' if netdev else 'net'} {head}")
    if ifname is not None and ifname.startswith("vnet"):
        ifname = None  # an inactive definition drops generated tap names
    return Interface(type=ntype, source=source, script=script, target=ifname), keys


def _find_nic(nics: list[Nic], vlan: int) -> Nic | None:
    for nic in nics:
        if nic.vlan == vlan:
            return nic
    if vlan == 0 and nics:
        return nics[0]
    return None


def _nic_device(driver: str, keys: dict[str, str], val: str) -> Nic:
    """MODEL,id=netN,mac=M,bus=pci.0,addr=0xS (vlan=/netdev= already taken out).

    A model is always written back as given, rtl8139 included: the builder writes
    rtl8139 for a NIC without a model, so both read back build the same -device,
    and an explicit model keeps the guest's NIC when built for a legacy QEMU too.
    """
    keys.pop("id", None)
    nic = Nic(model=_NIC_MODEL.get(driver) or check("model name", driver, "NIC model"))
    mac = keys.pop("mac", None)
    if mac is not None:
        nic.mac = parse_nic(f"nic,macaddr={mac}").mac
    nic.address = pci_address(keys, val)
    no_more(keys, driver)
    return nic


def _prescan_net(st: ArgvState, opt: str, val: str) -> None:
    """First pass: the guest side of every NIC, to pair with its host side by vlan."""
    if is_nic(val):
        st.nics.append(parse_nic(val))
        assert st.tok is not None
        st.nic_toks.append(st.tok)


def _prescan_device(st: ArgvState, opt: str, val: str) -> None:
    """First pass: a ``-device MODEL,vlan=N,...`` NIC (its host side is a later -net)."""
    driver, keys = device_keywords(val)
    if "vlan" not in keys:
        return
    vlan = c_int(keys.pop("vlan"))
    if vlan is None or vlan < 0:
        raise ArgError(f"cannot parse vlan in '{val}'")
    nic = _nic_device(driver, keys, val)
    nic.vlan = vlan
    st.nics.append(nic)
    assert st.tok is not None
    st.nic_toks.append(st.tok)


def _net_opt(st: ArgvState, opt: str, val: str) -> None:
    if is_nic(val) or val == "none":
        return
    seed = f"{st.fingerprint()}/net{len(st.nets)}"
    st.nets.append(parse_net(val, st.nics, seed))


def _netdev_opt(st: ArgvState, opt: str, val: str) -> None:
    ident, iface = parse_netdev(val)
    st.remember(st.netdevs, ident, "-netdev", iface)


def _nic_device_handler(st: ArgvState, driver: str, keys: dict[str, str], val: str) -> None:
    if "vlan" in keys:
        return  # a NIC on a vlan, taken in the first pass
    ident = keys.pop("netdev")
    nic = _nic_device(driver, keys, val)
    iface = take(st.netdevs, ident, "-netdev")
    assert isinstance(iface, Interface)
    st.nets.append(nic.join(iface, f"{st.fingerprint()}/net{len(st.nets)}"))


def _unused_nics(st: ArgvState) -> None:
    for nic, tok in zip(st.nics, st.nic_toks, strict=True):
        if not nic.used:
            err = ArgError(f"-net nic on vlan {nic.vlan} has no host side (-net user/tap/...)")
            err.located(st.path, tok.line, tok.col)
            raise err


def _net_alias(net: Any, i: int, flags: frozenset[str]) -> str | None:
    return f"net{i}" if "net-name" in flags or "device" in flags else None


FAMILY = Family(
    name="net",
    devices=lambda devs: devs.interfaces,
    pci=lambda n, i: True,
    pci_address_only="Network interfaces",
    alias=_net_alias,
    options={"-net": Option(_net_opt), "-netdev": Option(_netdev_opt)},
    claims_device=lambda driver, keys: "vlan" in keys or "netdev" in keys,
    handle_device=_nic_device_handler,
    prescan={"-net": _prescan_net, "-device": _prescan_device},
    finish=_unused_nics,
)
