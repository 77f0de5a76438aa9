"""Disks on the command line: -drive (by bus/unit, or if=none with -device),
the legacy -hda/-cdrom/-fda, and -usbdevice disk:; both directions."""
from __future__ import annotations

import re
from typing import Any

from ..errors import Refused
from ..model.address import DriveAddress
from ..model.disk import Disk, DiskDriver, DiskSource, DiskTarget, disk_index, disk_name
from .address import address_opt
from .argvstate import ArgvState, take
from .argvvalues import ArgError, c_int, check, no_more, parse_keywords, pci_address, uint_key
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


def _source(b: Build, disk: Disk) -> str:
    """The file a drive opens: a directory becomes QEMU's virtual FAT disk."""
    if disk.type != "dir":
        return opt(disk.src or "", "disk source")
    if disk.driver_type and disk.driver_type != "fat":
        raise b.refuse(f"unsupported disk driver type for '{disk.driver_type}'", disk)
    if not disk.readonly:
        raise b.refuse("cannot create virtual FAT disks in read-write mode", disk)
    prefix = "fat:floppy:" if disk.device == "floppy" else "fat:"
    return prefix + opt(c_str(disk.src), "disk source")


def _dropped(b: Build, disk: Disk, legacy: bool) -> None:
    """Warn about what this QEMU cannot be told about a disk: libvirt leaves it out."""
    what = f"disk '{disk.dst}'"
    if disk.driver_type and disk.type != "dir" and (legacy or not b.has("drive-format")):
        b.warn(f"{what}: format '{disk.driver_type}' needs -drive format= (the drive-format "
               "capability); libvirt drops it and QEMU probes the format", disk)
    if disk.cache and legacy:
        b.warn(f"{what}: cache mode '{disk.cache}' needs -drive; libvirt drops it", disk)
    if disk.serial and (legacy or not b.has("drive-serial")):
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
            busid, unitid = addr.controller, addr.unit
        elif bus == "ide":
            if addr.controller != 0:
                raise b.refuse(f"Only 1 {qemu_bus} controller is supported", disk)
            busid, unitid = addr.bus, addr.unit
        else:
            if addr.controller != 0:
                raise b.refuse(f"Only 1 {qemu_bus} controller is supported", disk)
            if addr.bus != 0:
                raise b.refuse(f"Only 1 {qemu_bus} bus is supported", disk)
            unitid = addr.unit
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
    if disk.driver_type and disk.type != "dir" and b.has("drive-format"):
        parts.append(f",format={opt(disk.driver_type, 'disk format')}")
    if disk.serial and b.has("drive-serial"):
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
        spec = f"ide-drive,bus=ide.{addr.bus},unit={addr.unit}"
    elif bus == "scsi":
        spec = f"scsi-disk,bus=scsi{addr.controller}.{addr.bus},scsi-id={addr.unit}"
    elif bus == "virtio":
        spec = "virtio-blk-pci" + address_opt(b, disk)
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
    b.arg("-usbdevice", f"disk:{opt(c_str(d.src), 'disk source')}")


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
        if d.type == "dir":
            f = _source(b, d)
        else:
            f = opt(c_str(d.src), "disk source")
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
            return f"{disk.bus}{addr.controller}-{addr.bus}-{addr.unit}"
        return f"{disk.bus}-disk{disk_index(disk.dst)}"
    if disk_index(disk.dst) < 0:
        raise disk.error(f"cannot convert disk '{disk.dst}' to bus/device index", Refused)
    if disk.bus not in ("ide", "scsi", "fdc", "virtio", "xen"):
        raise disk.error(f"Unsupported disk name mapping for bus '{disk.bus}'", Refused)
    return None


# --------------------------------------------------------------------------- argv2xml: -drive

_DRIVE_BUSES = {"ide": "ide", "scsi": "scsi", "virtio": "virtio", "xen": "xen", "floppy": "fdc"}
_DRIVE_PREFIX = {"ide": "hd", "scsi": "sd", "virtio": "vd", "xen": "xvd", "fdc": "fd"}
_CACHE = {"off": "none", "none": "none", "writeback": "writeback", "on": "writeback",
          "writethrough": "writethrough"}
# keys the builder writes that carry nothing the domain XML keeps
_DRIVE_IGNORED = {"boot"}
_LEGACY_DISKS = tuple(f"-{p}{c}" for p in ("hd", "sd") for c in "abcd") + ("-fda", "-fdb", "-cdrom")


def parse_drive(val: str, nvirtio: int) -> Disk:
    """qemuParseCommandLineDisk: one -drive key=value list to a disk.

    ``nvirtio`` is the number of virtio drives seen so far: a virtio drive
    without index= takes the next virtio slot.
    """
    disk, ident = _parse_drive(val, nvirtio)
    if ident is not None:
        raise ArgError(f"a drive with if=none belongs to a -device; use parse_drive_none for '{val}'")
    return disk


def parse_drive_none(val: str) -> tuple[str, Disk]:
    """An ``if=none,id=drive-ALIAS`` drive: its id and the disk without a target yet.

    Its place on the guest (bus, unit, target name) comes from the ``-device``
    (or ``-global isa-fdc.driveX``) that names it; read-only is only ``readonly=on``.
    """
    disk, ident = _parse_drive(val, 0)
    if ident is None:
        raise ArgError(f"not an if=none drive: '{val}'")
    return ident, disk


def _parse_drive(val: str, nvirtio: int) -> tuple[Disk, str | None]:
    kws = parse_keywords(val)
    none_drive = ("if", "none") in kws
    bus, device = "ide", "disk"
    dtype: str | None = None
    src: str | None = None
    readonly = False
    drv_type: str | None = None
    cache: str | None = None
    policy: str | None = None
    serial: str | None = None
    idx = busid = unitid = -1
    fat = False
    ident: str | None = None
    none = False
    for key, v in kws:
        assert v is not None
        if key == "file":
            if v:
                if v.startswith("fat:"):
                    fat = True
                    v = v[len("fat:"):]
                    if v.startswith("floppy:"):
                        v = v[len("floppy:"):]
                    dtype = "dir"
                else:
                    dtype = "block" if v.startswith("/dev/") else "file"
                src = v
            else:
                dtype = "file"
        elif key == "if" and v == "none":
            none = True
        elif key == "id":
            ident = v
        elif key == "if":
            if v not in _DRIVE_BUSES:
                raise ArgError(f"unsupported drive interface '{v}' in drive '{val}'")
            bus = _DRIVE_BUSES[v]
        elif key == "media":
            if v == "cdrom":
                device = "cdrom"
                readonly = readonly or not none_drive
            elif v == "floppy":
                device = "floppy"
            elif v != "disk":
                raise ArgError(f"unknown drive media '{v}' in drive '{val}'")
        elif key == "format":
            drv_type = check("name", v, "drive format")
        elif key == "cache":
            if v not in _CACHE:
                raise ArgError(f"unknown drive cache mode '{v}' in drive '{val}'")
            cache = _CACHE[v]
        elif key in ("werror", "rerror"):
            if v not in ("stop", "ignore"):
                raise ArgError(f"unknown drive error policy '{v}' in drive '{val}'")
            policy = v
        elif key in ("index", "bus", "unit"):
            n = c_int(v)
            if n is None or n < 0:
                raise ArgError(f"cannot parse drive {key} '{v}' in drive '{val}'")
            if key == "index":
                idx = n
            elif key == "bus":
                busid = n
            else:
                unitid = n
        elif key == "readonly":
            if v not in ("on", "off"):
                raise ArgError(f"bad readonly value '{v}' in drive '{val}'")
            readonly = readonly or v == "on"
        elif key == "serial":
            serial = check("disk serial", v, "drive serial")
        elif key in _DRIVE_IGNORED:
            continue
        else:
            raise ArgError(f"unsupported drive option '{key}' in drive '{val}'")
    if bus == "fdc":
        device = "floppy"
    if fat:
        drv_type, readonly = "fat", True
    if src is None and device == "disk" and not none:  # an if=none floppy is known at its -global
        raise ArgError(f"missing file parameter in drive '{val}'")
    if src is not None:
        check_disk_path(dtype or "file", src)
    driver = (DiskDriver(name="qemu", type=drv_type, cache=cache, error_policy=policy)
              if (drv_type or cache or policy) else None)
    if none:
        if ident is None:
            raise ArgError(f"a drive with if=none needs an id in drive '{val}'")
        if max(idx, busid, unitid) != -1:
            raise ArgError(f"index/bus/unit belong to the -device of an if=none drive '{val}'")
        return Disk(type=dtype or "file", device=device, driver=driver, source=_disk_source(dtype, src),
                    readonly=readonly, serial=serial), ident
    if idx == -1 and bus == "virtio":
        idx = nvirtio
    if idx == -1 and unitid == -1 and busid == -1:
        raise ArgError(f"missing index/unit/bus parameter in drive '{val}'")
    if idx == -1:
        unitid = max(unitid, 0)
        busid = max(busid, 0)
        idx = busid * 2 + unitid if bus == "ide" else busid * 7 + unitid if bus == "scsi" else unitid
    if device == "floppy" and bus != "fdc":
        raise ArgError(f"floppy media needs if=floppy in drive '{val}'")
    target = disk_name(_DRIVE_PREFIX[bus], idx)
    disk = Disk(type=dtype or "file", device=device, driver=driver,
                source=_disk_source(dtype, src), target=DiskTarget(dev=target, bus=bus),
                readonly=readonly, serial=serial)
    disk.address = disk.default_address()
    return disk, None


def check_disk_path(dtype: str, path: str) -> str:
    """The schema's form of a disk source: /dev names for block, absolute paths otherwise."""
    if dtype == "block":
        return check("device name", path, "disk device")
    if dtype == "dir":
        return check("absolute directory path", path, "disk directory")
    return check("absolute file path", path, "disk file")


def _disk_source(dtype: str | None, src: str | None) -> DiskSource | None:
    if src is None:
        return None
    if dtype == "block":
        return DiskSource(dev=src)
    if dtype == "dir":
        return DiskSource(dir=src)
    return DiskSource(file=src)


def legacy_disk(opt: str, path: str) -> Disk:
    """-hdX/-sdX/-fdX/-cdrom FILE: the target is the option name."""
    dtype = "block" if path.startswith("/dev/") else "file"
    check_disk_path(dtype, path)
    if opt == "cdrom":
        device, dst, bus, ro = "cdrom", "hdc", "ide", True
    elif opt.startswith("fd"):
        device, dst, bus, ro = "floppy", opt, "fdc", False
    else:
        device, dst, bus, ro = "disk", opt, ("ide" if opt.startswith("hd") else "scsi"), False
    disk = Disk(type=dtype, device=device, source=_disk_source(dtype, path),
                target=DiskTarget(dev=dst, bus=bus), readonly=ro)
    disk.address = disk.default_address()
    return disk


def _legacy_disk_opt(st: ArgvState, opt: str, val: str) -> None:
    st.disks.append(legacy_disk(opt[1:], val))


def _drive_opt(st: ArgvState, opt: str, val: str) -> None:
    if ("if", "none") in parse_keywords(val):
        ident, part = parse_drive_none(val)
        st.remember(st.drives, ident, "-drive", part)
        return
    disk = parse_drive(val, st.nvirtio)
    st.disks.append(disk)
    if disk.bus == "virtio":
        st.nvirtio += 1


def _usb_disk_opt(st: ArgvState, opt: str, val: str) -> None:
    src = val[len("disk:"):]
    block = src.startswith("/dev/")
    check_disk_path("block" if block else "file", src)
    st.disks.append(Disk(type="block" if block else "file", device="disk",
                         source=DiskSource(dev=src) if block else DiskSource(file=src),
                         target=DiskTarget(dev="sda", bus="usb")))


# --------------------------------------------------------------------------- argv2xml: -device

def _attach(st: ArgvState, drive: str | None, bus: str, dev: str, address: object, val: str) -> None:
    """Give the if=none drive ``drive`` its place on the guest and add the disk."""
    if drive is None:
        raise ArgError(f"no drive= in '{val}'")
    disk = take(st.drives, drive, "-drive if=none")
    assert isinstance(disk, Disk)
    if bus == "fdc":
        if disk.device == "cdrom":
            raise ArgError(f"a CD-ROM drive on the floppy controller: '{val}'")
        disk.device = "floppy"
    elif disk.device == "floppy":
        raise ArgError(f"a floppy drive on bus {bus}: '{val}'")
    elif disk.device == "disk" and disk.source is None:
        raise ArgError(f"the drive of '{val}' has no file")
    if any(d.target.dev == dev for d in st.disks):
        raise ArgError(f"a second disk '{dev}' in '{val}'")
    disk.target = DiskTarget(dev=dev, bus=bus)
    disk.address = address  # type: ignore[assignment]
    st.disks.append(disk)


def _ide_drive(st: ArgvState, driver: str, keys: dict[str, str], val: str) -> None:
    drive = keys.pop("drive", None)
    keys.pop("id", None)
    m = re.fullmatch(r"ide\.([0-9]+)", keys.pop("bus", ""))
    if m is None:
        raise ArgError(f"expected bus=ide.N in '{val}'")
    b, u = int(m.group(1)), uint_key(keys, "unit", val, 1)
    if b > 1:
        raise ArgError(f"IDE bus {b} out of range in '{val}'")
    no_more(keys, driver)
    _attach(st, drive, "ide", disk_name("hd", b * 2 + u),
            DriveAddress(type="drive", controller=0, bus=b, unit=u), val)


def _scsi_disk(st: ArgvState, driver: str, keys: dict[str, str], val: str) -> None:
    drive = keys.pop("drive", None)
    keys.pop("id", None)
    m = re.fullmatch(r"scsi([0-9]+)\.([0-9]+)", keys.pop("bus", ""))
    if m is None:
        raise ArgError(f"expected bus=scsiN.B in '{val}'")
    c, b, u = int(m.group(1)), int(m.group(2)), uint_key(keys, "scsi-id", val, 6)
    if b != 0 or c > 1000:
        raise ArgError(f"SCSI bus out of range in '{val}'")
    no_more(keys, driver)
    _attach(st, drive, "scsi", disk_name("sd", c * 7 + u),
            DriveAddress(type="drive", controller=c, bus=b, unit=u), val)


def _pci_or_usb_disk(st: ArgvState, driver: str, keys: dict[str, str], val: str) -> None:
    drive = keys.pop("drive", None)
    alias = keys.pop("id", None)
    addr = pci_address(keys, val) if driver == "virtio-blk-pci" else None
    no_more(keys, driver)
    bus, prefix = ("virtio", "vd") if driver == "virtio-blk-pci" else ("usb", "sd")
    # the builder's alias carries the target's index; else the next free one
    m = re.fullmatch(re.escape(bus) + r"-disk([0-9]+)", alias or "")
    n = int(m.group(1)) if m and int(m.group(1)) < 18278 else sum(d.bus == bus for d in st.disks)
    _attach(st, drive, bus, disk_name(prefix, n), addr, val)


def _global_opt(st: ArgvState, opt: str, val: str) -> None:
    m = re.fullmatch(r"isa-fdc\.drive([AB])=(.*)", val)
    if m is None:
        raise ArgError(f"unsupported global property '{val}'")
    unit = "AB".index(m.group(1))
    _attach(st, m.group(2), "fdc", disk_name("fd", unit),
            DriveAddress(type="drive", controller=0, bus=0, unit=unit), val)


FAMILY = Family(
    name="disk",
    devices=lambda devs: devs.disks,
    pci=lambda d, i: d.bus == "virtio",
    alias=disk_alias,
    options={
        **{o: Option(_legacy_disk_opt) for o in _LEGACY_DISKS},
        "-drive": Option(_drive_opt),
        "-global": Option(_global_opt),
        "-usbdevice": Option(_usb_disk_opt, claims=lambda v: v.startswith("disk:")),
    },
    drivers={"ide-drive": _ide_drive, "scsi-disk": _scsi_disk,
             "virtio-blk-pci": _pci_or_usb_disk, "usb-storage": _pci_or_usb_disk},
)
