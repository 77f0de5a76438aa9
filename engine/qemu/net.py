"""NICs: -net nic + -net backend with vlans, -device + -net, or -netdev + -device; both directions."""
from __future__ import annotations

from typing import Any

from ..model.net import Interface, NetSource, generated_mac
from .address import address_opt
from .argvstate import ArgvState
from .argvvalues import ArgError, keywords, parse_mac, str_to_int
from .context import Build
from .escape import c_str, opt
from .family import Family, Option


def nic_spec(b: Build, net: Interface, vlan: int) -> str:
    """qemuBuildNicStr: 'nic,macaddr=..,vlan=N[,model=..][,name=..]'."""
    s = f"nic,macaddr={net.mac},vlan={vlan}"
    if net.model is not None:  # an empty type='' is a model too: ',model='
        s += f",model={opt(net.model, 'NIC model')}"
    if b.alias(net):
        s += f",name={b.alias(net)}"
    return s


def nic_device_spec(b: Build, net: Interface, vlan: int) -> str:
    """qemuBuildNicDevStr."""
    model = "rtl8139" if net.model is None else net.model  # type='' gives '-device ,vlan=...'
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
        if net.target is not None:  # dev='' too: "ifname="
            parts.append(f"{sep}ifname={opt(net.target, 'interface name')}")
            sep = ","
        if net.script is not None:  # path="" is a script too: "script="
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

def _prescan_net(st: ArgvState, opt: str, val: str) -> None:
    """First pass: every ``-net nic...`` value (any value starting 'nic'), in order."""
    if val.startswith("nic"):
        st.nics.append(val)


def parse_net(val: str, nics: list[str], seed: str) -> Interface:
    """qemuParseCommandLineNet: a host-side ``-net`` value, joined with the first
    ``-net nic`` naming its vlan (libvirt pairs by vlan only, so two host sides may share
    one guest side and a guest side without a host side is dropped); a host side on
    vlan 0 that no guest side names takes the first guest side there is.

    ``tap`` (any backend but socket and user, really) is a generic ethernet NIC with
    its ``script`` and ``ifname``; ``socket`` is a client without an address;
    ``user`` is user networking. The MAC is the guest side's, else a generated one.
    """
    head, comma, rest = val.partition(",")
    kws = keywords(rest) if comma else []
    ntype = ("ethernet" if val.startswith("tap,") else "client" if val.startswith("socket")
             else "user" if val.startswith("user") else "ethernet")
    iface = Interface(type=ntype)
    want = 0
    for key, v in kws:
        assert v is not None
        if key == "vlan":
            n, _ = str_to_int(v)
            if n is None:
                raise ArgError(f"cannot parse vlan in '{val}'")
            want = n
        elif ntype == "ethernet" and key == "script" and v != "":
            iface.script = v
        elif ntype == "ethernet" and key == "ifname":
            iface.target = v
    if ntype == "client":
        iface.source = NetSource(port=0)
    nic = None
    for cand in nics:
        at = cand.find("vlan=")
        if at < 0:
            continue  # a guest side that names no vlan joins no host side by its vlan
        n, _ = str_to_int(cand[at + len("vlan="):], trailing=True)
        if n is None:
            raise ArgError(f"cannot parse NIC vlan in '{cand}'")
        if n == want:
            nic = cand
            break
    if nic is None and want == 0 and nics:
        nic = nics[0]  # vlan 0 unmatched: libvirt takes the first guest side, whatever its vlan
    if nic is None:
        raise ArgError(f"cannot find NIC definition for vlan {want}")
    for key, v in keywords(nic[len("nic,"):]) if nic.startswith("nic,") else []:
        assert v is not None
        if key == "macaddr":
            mac = parse_mac(v)
            if mac is None:
                raise ArgError(f"unable to parse mac address '{v}'")
            iface.mac = mac
        elif key == "model":
            iface.model = v
    if iface.mac is None:
        iface.mac = generated_mac(seed)  # libvirt draws one at random
    return iface


def _net_opt(st: ArgvState, opt: str, val: str) -> None:
    if val.startswith("nic") or val == "none":
        return
    nets = st.dom.devices.interfaces
    nets.append(parse_net(val, st.nics, f"{st.derived_uuid()}/{len(nets)}"))


def _net_alias(net: Any, i: int, flags: frozenset[str]) -> str | None:
    return f"net{i}" if "net-name" in flags or "device" in flags else None


FAMILY = Family(
    name="net",
    devices=lambda devs: devs.interfaces,
    pci=lambda n, i: True,
    pci_address_only="Network interfaces",
    alias=_net_alias,
    guest_name=lambda n, i: (f"interface {n.mac}", {"model": n.model or "QEMU's default"}),
    options={"-net": Option(_net_opt)},
    prescan={"-net": _prescan_net},
)
