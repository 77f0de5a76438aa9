"""NICs: -net nic + -net backend with vlans, -device + -net, or -netdev + -device."""
from __future__ import annotations

from ..model.net import Interface
from .context import Build
from .escape import opt
from .pci import address_opt


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


def host_spec(b: Build, net: Interface, sep: str, vlan: int, tapfd: str | None) -> str:
    """qemuBuildHostNetStr: the backend ('tap,..', 'user', 'socket,..')."""
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
    elif t in ("client", "server", "mcast"):
        key = {"client": "connect", "server": "listen", "mcast": "mcast"}[t]
        addr = net.source.address or ""
        parts = ["socket", f"{sep}{key}={opt(addr, 'socket address')}:{net.source.port}"]
        sep = ","
    else:
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
            raise b.refuse("interface type 'internal' is not supported by QEMU", net)
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
