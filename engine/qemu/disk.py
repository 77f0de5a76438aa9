"""Disks on the command line: -drive (by bus/unit, or if=none with -device),
the legacy -hda/-cdrom/-fda, and -usbdevice disk:; both directions."""
from __future__ import annotations

import re
from typing import Any

from ..defaults import too_many_controllers
from ..errors import Refused
from ..model.address import DriveAddress
from ..model.cvalues import as_int32
from ..model.disk import Disk, DiskDriver, DiskSource, DiskTarget, disk_index, drive_address
from .address import address_opt
from .argvstate import ArgvState
from .argvvalues import ArgError, keywords, str_to_int, wrap_int
from .context import Build
from .escape import c_str, opt
from .family import Family, Option

#: qemuDiskCacheV1 / V2: the -drive cache= words before and after QEMU 0.10
_CACHE_V1 = {"none": "off", "writethrough": "off", "writeback": "on"}
#: virDomainDiskQEMUBus: the -drive if= word of each bus
_QEMU_BUS = {"ide": "ide", "fdc": "floppy", "scsi": "scsi", "virtio": "virtio", "xen": "xen",
             "usb": "usb", "uml": "uml"}
_BOOT_DEVICE = {"cdrom": "cdrom", "fd": "floppy", "hd": "disk"}
#: qemuSafeSerialParamValue: what a -drive serial= may hold
_SERIAL_CHARS = re.compile(r"[A-Za-z0-9_-]*")


def _source(b: Build, disk: Disk, escape: bool = True) -> str:
    """The file a drive opens: a directory becomes QEMU's virtual FAT disk; commas doubled
    where the name sits inside -drive's option list."""
    if disk.type != "dir":
        return opt(disk.src or "", "disk source") if escape else c_str(disk.src)
    if disk.driver_type is not None and disk.driver_type != "fat":  # type="" too
        raise b.refuse(f"unsupported disk driver type for '{disk.driver_type}'", disk)
    if not disk.readonly:
        raise b.refuse("cannot create virtual FAT disks in read-write mode", disk)
    prefix = "fat:floppy:" if disk.device == "floppy" else "fat:"
    return prefix + (opt(c_str(disk.src), "disk source") if escape else c_str(disk.src))


def _dropped(b: Build, disk: Disk, legacy: bool) -> None:
    """Warn about what this QEMU cannot be told about a disk: libvirt leaves it out."""
    what = f"disk '{disk.dst}'"
    if disk.driver_type and disk.type != "dir" and (legacy or not b.has("drive-format")):
        b.warn(f"{what}: format '{disk.driver_type}' needs -drive format= (the drive-format "
               "capability); libvirt drops it and QEMU probes the format", disk)
    if disk.cache and legacy:
        b.warn(f"{what}: cache mode '{disk.cache}' needs -drive; libvirt drops it", disk)
    if disk.serial is not None and (legacy or not b.has("drive-serial")):
        b.warn(f"{what}: a disk serial needs -drive serial= (the drive-serial capability); "
               "libvirt drops it", disk)
    if disk.error_policy and (legacy or not b.has("monitor-json")):
        b.warn(f"{what}: error_policy needs the monitor-json capability; libvirt drops it", disk)
    if disk.shareable and not disk.readonly and legacy:
        b.warn(f"{what}: a shareable disk needs -drive cache=off; libvirt drops it", disk)
    if disk.readonly and disk.device != "cdrom" and disk.type != "dir" and not (b.device and disk.bus != "xen"):
        b.warn(f"{what}: read-only needs -drive readonly=on (the device capability); "
               "libvirt drops it and the guest can write", disk)


def drive_spec(b: Build, disk: Disk, bootable: bool, with_device: bool) -> str:
    """qemuBuildDriveStr (``with_device``: the flags it is given include device)."""
    bus = disk.bus
    qemu_bus = _QEMU_BUS.get(bus)
    idx = disk_index(disk.dst)
    busid = unitid = -1
    addr = disk.address
    if idx < 0:
        raise b.refuse(f"unsupported disk type '{disk.dst}'", disk)
    if bus in ("scsi", "ide", "fdc"):
        if not isinstance(addr, DriveAddress):
            raise b.refuse(f"unexpected address type for {bus} disk", disk)
        if bus == "scsi":
            if addr.bus != 0:
                raise b.refuse("SCSI controller only supports 1 bus", disk)
            busid, unitid = as_int32(addr.controller), as_int32(addr.unit)  # C ints: -1 is "none"
        elif bus == "ide":
            if addr.controller != 0:
                raise b.refuse(f"Only 1 {qemu_bus} controller is supported", disk)
            busid, unitid = as_int32(addr.bus), as_int32(addr.unit)
        else:
            if addr.controller != 0:
                raise b.refuse(f"Only 1 {qemu_bus} controller is supported", disk)
            if addr.bus != 0:
                raise b.refuse(f"Only 1 {qemu_bus} bus is supported", disk)
            unitid = as_int32(addr.unit)
    elif bus == "virtio":
        idx = -1  # each virtio disk is a PCI device of its own
    parts: list[str] = []
    if disk.src:
        parts.append(f"file={_source(b, disk)},")
    parts.append("if=none" if with_device else f"if={c_str(qemu_bus)}")
    if disk.device == "cdrom":
        parts.append(",media=cdrom")
    if with_device:
        parts.append(f",id=drive-{b.alias(disk)}")
    elif busid == -1 and unitid == -1:
        if idx != -1:
            parts.append(f",index={idx}")
    else:
        if busid != -1:
            parts.append(f",bus={busid}")
        if unitid != -1:
            parts.append(f",unit={unitid}")
    if bootable and disk.device == "disk":
        parts.append(",boot=on")
    if disk.readonly and with_device:
        parts.append(",readonly=on")
    if disk.driver_type and disk.type != "dir" and b.has("drive-format"):  # "" is none here (*type != 0)
        parts.append(f",format={opt(disk.driver_type, 'disk format')}")
    if disk.serial is not None and b.has("drive-serial"):  # <serial/> is "": ",serial="
        if not _SERIAL_CHARS.fullmatch(disk.serial):
            raise b.refuse(f"driver serial '{disk.serial}' contains unsafe characters", disk)
        parts.append(f",serial={disk.serial}")
    if disk.cache:
        parts.append(f",cache={disk.cache if b.has('drive-cache-v2') else _CACHE_V1[disk.cache]}")
    elif disk.shareable and not disk.readonly:
        parts.append(",cache=off")
    if b.has("monitor-json") and disk.error_policy:
        parts.append(f",werror={disk.error_policy},rerror={disk.error_policy}")
    return "".join(parts)


def drive_device_spec(b: Build, disk: Disk) -> str:
    """qemuBuildDriveDevStr: the -device half of an if=none drive."""
    bus = disk.bus
    addr = disk.address
    if bus == "ide":
        spec = f"ide-drive,bus=ide.{as_int32(addr.bus)},unit={as_int32(addr.unit)}"  # %d
    elif bus == "scsi":
        spec = (f"scsi-disk,bus=scsi{as_int32(addr.controller)}.{as_int32(addr.bus)},"
                f"scsi-id={as_int32(addr.unit)}")
    elif bus == "virtio":
        spec = "virtio-blk-pci" + address_opt(b, disk, failure_ignored=True)
    elif bus == "usb":
        spec = "usb-storage"
    else:
        raise b.refuse(f"unsupported disk bus '{bus}' with device setup", disk)
    return f"{spec},drive=drive-{b.alias(disk)},id={b.alias(disk)}"


def add_disks(b: Build) -> None:
    disks = b.dom.devices.disks
    for d in disks:
        if d.driver_name is not None and d.driver_name != "qemu":
            raise b.refuse(f"unsupported driver name '{d.driver_name}' for disk '{c_str(d.src)}'", d)
    if b.has("drive"):
        _add_drives(b, disks)
    else:
        _add_legacy(b, disks)


def _add_drives(b: Build, disks: list[Disk]) -> None:
    boot = {"cdrom": False, "floppy": False, "disk": False}
    if b.has("drive-boot"):
        for dev in b.dom.os.boot_devs:
            if dev in _BOOT_DEVICE:
                boot[_BOOT_DEVICE[dev]] = True
    for d in disks:
        if d.bus == "usb" and not b.device:
            _usb_disk(b, d)
            continue
        bootable = boot[d.device]
        boot[d.device] = False
        # floppies and Xen paravirtual disks cannot use -device (nor need a PCI slot)
        with_device = b.device and d.bus != "xen"
        _dropped(b, d, legacy=False)
        b.arg("-drive", drive_spec(b, d, bootable, with_device))
        if with_device:
            if d.bus == "fdc":
                unit = "B" if d.address.unit else "A"
                b.arg("-global", f"isa-fdc.drive{unit}=drive-{b.alias(d)}")
            else:
                b.arg("-device", drive_device_spec(b, d))


def _usb_disk(b: Build, d: Disk) -> None:
    if d.device != "disk":
        raise b.refuse(f"unsupported usb disk type for '{c_str(d.src)}'", d)
    _dropped(b, d, legacy=True)
    b.arg("-usbdevice", f"disk:{c_str(d.src)}")  # QEMU opens the rest as a file name


def _add_legacy(b: Build, disks: list[Disk]) -> None:
    """-hdX / -fdX / -cdrom FILE: QEMU before -drive."""
    for d in disks:
        if d.bus == "usb":
            _usb_disk(b, d)
            continue
        if d.dst == "hdc" and d.device == "cdrom":
            if not d.src:
                continue  # an empty CD-ROM is QEMU's default
            flag = "-cdrom"
        elif d.dst.startswith(("hd", "fd")):
            flag = f"-{d.dst}"
        else:
            raise b.refuse(f"unsupported disk type '{d.dst}'", d)
        # -hdX FILE: QEMU takes FILE as it is (no option syntax, nothing to escape)
        f = _source(b, d, escape=False) if d.type == "dir" else c_str(d.src)
        _dropped(b, d, legacy=True)
        b.arg(flag, f)


# --------------------------------------------------------------------------- aliases, PCI

def disk_alias(disk: Any, i: int, flags: frozenset[str]) -> str | None:
    """qemuAssignDeviceDiskAlias. With -device: BUSC-B-U from a drive address, else
    BUS-diskN. With -drive alone, QEMU's own drive names (qemuAssignDeviceDiskAliasFixed):
    never printed, but a bus QEMU names no drive on is refused there."""
    if "drive" not in flags:
        return None
    addr = disk.address
    if "device" in flags:
        if isinstance(addr, DriveAddress):
            return f"{disk.bus}{as_int32(addr.controller)}-{as_int32(addr.bus)}-{as_int32(addr.unit)}"
        return f"{disk.bus}-disk{disk_index(disk.dst)}"
    if disk_index(disk.dst) < 0:
        raise disk.error(f"cannot convert disk '{disk.dst}' to bus/device index", Refused)
    if disk.bus not in ("ide", "scsi", "fdc", "virtio", "xen"):
        raise disk.error(f"Unsupported disk name mapping for bus '{disk.bus}'", Refused)
    return None


# --------------------------------------------------------------------------- argv2xml

_DRIVE_BUSES = {"ide": "ide", "scsi": "scsi", "virtio": "virtio", "xen": "xen"}  # no floppy: libvirt's rule
_DRIVE_PREFIX = {"ide": "hd", "scsi": "sd", "virtio": "vd", "xen": "xvd"}
_CACHE = {"off": "none", "none": "none", "writeback": "writeback", "on": "writeback",
          "writethrough": "writethrough"}


def _source_type(path: str) -> str:
    return "block" if path.startswith("/dev/") else "file"


def _disk_source(dtype: str, path: str | None) -> DiskSource | None:
    if path is None:
        return None
    return DiskSource(dev=path) if dtype == "block" else DiskSource(file=path)


def _assign_address(disk: Disk) -> None:
    """virDomainDiskDefAssignAddress: a drive address from the target name. libvirt fails
    the conversion, without a message of its own, when the target is no disk name."""
    idx = disk_index(disk.target.dev)
    if idx < 0:
        raise ArgError(f"invalid device name '{disk.target.dev}'")
    disk.address = drive_address(disk.target.bus, idx)
    if disk.address is not None:
        refusal = too_many_controllers(disk.target.dev, disk.target.bus, disk.address.controller + 1)
        if refusal:
            raise ArgError(refusal)


def parse_drive(val: str, nvirtio: int) -> Disk:
    """qemuParseCommandLineDisk: one -drive key=value list to a disk.

    libvirt's rules, quirks included: ``if=`` knows ide, scsi, virtio and xen only
    (a floppy drive stays on IDE), unknown keys and values are ignored, and the
    target is the bus's prefix with one letter, 'a' + index, computed in a C char.
    ``nvirtio`` (virtio drives so far) is the index of a virtio drive without one.
    """
    bus, device = "ide", "disk"
    dtype: str | None = None
    src: str | None = None
    readonly = False
    driver_name = drv_type = cache = policy = None
    idx = busid = unitid = -1
    for key, v in keywords(val):
        assert v is not None
        if key == "file":
            dtype = _source_type(v) if v else "file"
            src = v or src
        elif key == "if":
            bus = _DRIVE_BUSES.get(v, bus)
        elif key == "media":
            if v == "cdrom":
                device, readonly = "cdrom", True
            elif v == "floppy":
                device = "floppy"
        elif key == "format":
            driver_name, drv_type = "qemu", v
        elif key == "cache":
            cache = _CACHE.get(v, cache)
        elif key in ("werror", "rerror"):
            policy = v if v in ("stop", "ignore", "enospace") else policy  # libvirt's names, not QEMU's enospc
        elif key in ("index", "bus", "unit"):
            n, _ = str_to_int(v)
            if n is None:
                raise ArgError(f"cannot parse drive {key} '{val}'")
            if key == "index":
                idx = n
            elif key == "bus":
                busid = n
            else:
                unitid = n
        elif key == "readonly":
            readonly = readonly or v == "on"
    if src is None and device == "disk":
        raise ArgError(f"missing file parameter in drive '{val}'")
    if idx == -1 and bus == "virtio":
        idx = nvirtio
    if idx == -1 and unitid == -1 and busid == -1:
        raise ArgError(f"missing index/unit/bus parameter in drive '{val}'")
    if idx == -1:
        unitid = 0 if unitid == -1 else unitid
        busid = 0 if busid == -1 else busid
        idx = wrap_int(busid * 2 + unitid) if bus == "ide" else \
            wrap_int(busid * 7 + unitid) if bus == "scsi" else unitid
    letter = (ord("a") + idx) % 256  # def->dst[2] = 'a' + idx, in a char (NUL ends the name)
    dev = _DRIVE_PREFIX[bus] + (chr(letter) if letter else "")
    disk = Disk(type=dtype or "file", device=device, target=DiskTarget(dev=dev, bus=bus),
                source=_disk_source(dtype or "file", src), readonly=readonly,
                # libvirt writes <driver> only with a name, type or cache mode
                driver=DiskDriver(name=driver_name, type=drv_type, cache=cache, error_policy=policy)
                if (driver_name or drv_type or cache) else None)
    _assign_address(disk)
    return disk


def _legacy_disk_opt(st: ArgvState, opt: str, val: str) -> None:
    """-hdX/-sdX/-fdX FILE (any suffix: the target is the option's name) and -cdrom FILE."""
    if opt == "-cdrom":
        disk = Disk(type=_source_type(val), device="cdrom", readonly=True,
                    target=DiskTarget(dev="hdc", bus="ide"))
    else:
        bus = "fdc" if opt.startswith("-fd") else "ide" if opt.startswith("-hd") else "scsi"
        disk = Disk(type=_source_type(val), device="floppy" if bus == "fdc" else "disk",
                    target=DiskTarget(dev=opt[1:], bus=bus))
    disk.source = _disk_source(disk.type, val)
    _assign_address(disk)
    st.dom.devices.disks.append(disk)


def _drive_opt(st: ArgvState, opt: str, val: str) -> None:
    disk = parse_drive(val, st.nvirtio)
    st.dom.devices.disks.append(disk)
    if disk.bus == "virtio":
        st.nvirtio += 1


def _usb_disk_opt(st: ArgvState, opt: str, val: str) -> None:
    """-usbdevice disk:FILE: always 'sda' on the USB bus, no address."""
    path = val[len("disk:"):]
    dtype = _source_type(path)
    st.dom.devices.disks.append(Disk(type=dtype, device="disk", source=_disk_source(dtype, path),
                                     target=DiskTarget(dev="sda", bus="usb")))


def _guest_name(disk: Any, i: int) -> tuple[str, dict[str, str | None]]:
    return f"disk {disk.dst}", {"device": disk.device, "bus": disk.bus,
                                "read-only": "yes" if disk.readonly else None,
                                "serial": getattr(disk, "serial", None)}


FAMILY = Family(
    name="disk",
    devices=lambda devs: devs.disks,
    pci=lambda d, i: d.bus == "virtio",
    alias=disk_alias,
    guest_name=_guest_name,
    prefixes={p: Option(_legacy_disk_opt) for p in ("-hd", "-sd", "-fd")},
    options={
        "-cdrom": Option(_legacy_disk_opt),
        "-drive": Option(_drive_opt),
        "-usbdevice": Option(_usb_disk_opt, claims=lambda v: v.startswith("disk:")),
    },
)
