"""Disks on the command line: -drive (by bus/unit, or if=none with -device),
the legacy -hda/-cdrom/-fda, and -usbdevice disk:."""
from __future__ import annotations

from ..model.address import DriveAddress
from ..model.disk import Disk, disk_index
from .context import Build
from .escape import opt
from .pci import address_opt

_CACHE_V1 = {"none": "off", "writethrough": "off", "writeback": "on"}
_QEMU_BUS = {"ide": "ide", "fdc": "floppy", "scsi": "scsi", "virtio": "virtio", "xen": "xen",
             "usb": "usb", "uml": "uml"}


def _fat_file(disk: Disk) -> str:
    if disk.driver_type and disk.driver_type != "fat":
        raise disk.error(f"unsupported disk driver type for '{disk.driver_type}'")
    if not disk.readonly:
        raise disk.error("cannot create virtual FAT disks in read-write mode")
    prefix = "fat:floppy:" if disk.device == "floppy" else "fat:"
    return prefix + (disk.src or "")


def _refuse_unexpressible(b: Build, disk: Disk, legacy: bool) -> None:
    """What this QEMU cannot be told about a disk is refused, never dropped."""
    what = f"disk '{disk.dst}'"
    if disk.driver_type and disk.type != "dir" and not b.has("drive-format"):
        raise b.refuse(f"{what}: format '{disk.driver_type}' needs the drive-format capability", disk)
    if disk.cache and legacy:
        raise b.refuse(f"{what}: cache mode '{disk.cache}' needs the drive capability", disk)
    if disk.serial and not b.has("drive-serial"):
        raise b.refuse(f"{what}: a disk serial needs the drive-serial capability", disk)
    if disk.error_policy and not b.has("monitor-json"):
        raise b.refuse(f"{what}: error_policy needs the monitor-json capability", disk)
    if disk.shareable and legacy:
        raise b.refuse(f"{what}: a shareable disk needs the drive capability (cache=off)", disk)
    if (disk.readonly and disk.device == "disk" and disk.type != "dir" and not b.device):
        raise b.refuse(f"{what}: a read-only disk needs the device capability (readonly=on)", disk)


def drive_spec(b: Build, disk: Disk, bootable: bool, with_device: bool) -> str:
    """qemuBuildDriveStr."""
    bus = disk.bus
    idx = disk_index(disk.dst)
    busid = unitid = -1
    addr = disk.address
    if idx < 0 and bus not in ("virtio",):
        raise disk.error(f"unsupported disk type '{disk.dst}'")
    if bus in ("scsi", "ide", "fdc"):
        if not isinstance(addr, DriveAddress):
            raise disk.error(f"unexpected address type for {bus} disk")
        if bus == "scsi":
            if addr.bus != 0:
                raise disk.error("SCSI controller only supports 1 bus")
            busid, unitid = addr.controller, addr.unit
        elif bus == "ide":
            if addr.controller != 0:
                raise disk.error("only 1 ide controller is supported")
            busid, unitid = addr.bus, addr.unit
        else:
            if addr.controller != 0:
                raise disk.error("only 1 fdc controller is supported")
            if addr.bus != 0:
                raise disk.error("only 1 fdc bus is supported")
            unitid = addr.unit
    elif bus == "virtio":
        idx = -1
    elif bus not in ("xen", "usb"):
        raise b.refuse(f"disk bus '{bus}' is not supported by QEMU", disk)
    parts: list[str] = []
    if disk.src:
        f = _fat_file(disk) if disk.type == "dir" else disk.src
        parts.append(f"file={opt(f, 'disk source')},")
    parts.append("if=none" if with_device else f"if={_QEMU_BUS[bus]}")
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
    if disk.readonly and b.device:
        parts.append(",readonly=on")
    if disk.driver_type and disk.type != "dir" and b.has("drive-format"):
        parts.append(f",format={opt(disk.driver_type, 'disk format')}")
    if disk.serial and b.has("drive-serial"):
        parts.append(f",serial={opt(disk.serial, 'disk serial')}")
    if disk.cache:
        if b.has("drive-cache-v2"):
            parts.append(f",cache={disk.cache}")
        elif disk.shareable and not disk.readonly:
            parts.append(",cache=off")
        else:
            parts.append(f",cache={_CACHE_V1[disk.cache]}")
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
    dom = b.dom
    disks = dom.devices.disks
    for d in disks:
        if d.driver_name is not None and d.driver_name != "qemu":
            raise d.error(f"unsupported driver name '{d.driver_name}' for disk '{d.src}'")
    if b.has("drive"):
        _add_drives(b, disks)
    else:
        _add_legacy(b, disks)


def _add_drives(b: Build, disks: list[Disk]) -> None:
    boot = {"cdrom": False, "floppy": False, "disk": False}
    if b.has("drive-boot"):
        for dev in b.dom.os.boot_devs:
            key = {"cdrom": "cdrom", "fd": "floppy", "hd": "disk"}.get(dev)
            if key:
                boot[key] = True
    for d in disks:
        if d.bus == "usb" and not b.device:
            _usb_disk(b, d)
            continue
        _refuse_unexpressible(b, d, legacy=False)
        bootable = boot[d.device]
        boot[d.device] = False
        with_device = b.device and d.bus != "xen"
        b.arg("-drive", drive_spec(b, d, bootable, with_device))
        if with_device:
            if d.bus == "fdc":
                unit = "B" if d.address.unit else "A"
                b.arg("-global", f"isa-fdc.drive{unit}=drive-{b.alias(d)}")
            else:
                b.arg("-device", drive_device_spec(b, d))


def _usb_disk(b: Build, d: Disk) -> None:
    if d.device != "disk":
        raise d.error(f"unsupported usb disk type for '{d.src}'")
    _refuse_unexpressible(b, d, legacy=True)
    b.arg("-usbdevice", f"disk:{opt(d.src or '', 'disk source')}")


def _add_legacy(b: Build, disks: list[Disk]) -> None:
    for d in disks:
        if d.bus == "usb":
            _usb_disk(b, d)
            continue
        if d.dst == "hdc" and d.device == "cdrom":
            if not d.src:
                continue  # an empty CD-ROM is QEMU's default
            flag = "-cdrom"
        elif d.dst in ("hda", "hdb", "hdc", "hdd", "fda", "fdb"):
            if d.device == "cdrom":
                raise b.refuse(f"CD-ROM '{d.dst}' other than hdc needs the drive capability", d)
            flag = f"-{d.dst}"
        else:
            raise d.error(f"unsupported disk type '{d.dst}'")
        if not d.src:
            raise b.refuse(f"disk '{d.dst}' has no source; empty media need the drive capability", d)
        _refuse_unexpressible(b, d, legacy=True)
        f = _fat_file(d) if d.type == "dir" else d.src
        b.arg(flag, opt(f, "disk source"))
