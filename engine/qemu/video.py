"""Video: -vga TYPE (or -std-vga/-vmwarevga on older QEMU); both directions."""
from __future__ import annotations

from typing import Any

from ..model.video import Video, VideoModel, default_video_ram
from .argvstate import ArgvState
from .argvvalues import ArgError
from .context import Build
from .family import Family, Option, shown

_QEMU_VGA = {"vga": "std", "cirrus": "cirrus", "vmvga": "vmware", "xen": "xenfb"}


def add_video(b: Build) -> None:
    videos = b.dom.devices.videos
    if not videos:
        # with -device, -nodefaults already removed the default VGA
        if not b.device and b.has("vga"):
            b.arg("-vga", "none")
        return
    model = videos[0].model.type
    if b.has("vga"):
        if model != "xen":  # -vga has no effect on the Xen PV framebuffer
            if model not in _QEMU_VGA:
                raise b.refuse(f"video type {model} is not supported with QEMU", videos[0])
            b.arg("-vga", _QEMU_VGA[model])
    elif model == "vga":
        b.arg("-std-vga")
    elif model == "vmvga":
        b.arg("-vmwarevga")
    elif model not in ("xen", "cirrus"):
        raise b.refuse(f"video type {model} is not supported with this QEMU", videos[0])
    if len(videos) > 1:
        raise b.refuse("only one video card is currently supported", videos[1])


#: qemuVideo's names in virDomainVideoType order; xen and vbox take no -vga name
_VGA_NAMES = (("std", "vga"), ("cirrus", "cirrus"), ("vmware", "vmvga"), ("", "xen"), ("", "vbox"))


def _vga_opt(st: ArgvState, opt: str, val: str) -> None:
    if val == "none":
        return
    model = next((m for name, m in _VGA_NAMES if name == val), None)
    if model is None:
        raise ArgError(f"unknown video adapter type '{val}'")
    st.video = model


def video_with_graphics(st: ArgvState) -> None:
    """After the loop: a display comes with the card -vga named (cirrus by default;
    a Xen guest's framebuffer)."""
    dom = st.dom
    if dom.devices.graphics:
        vtype = "xen" if dom.type == "xen" else st.video
        dom.devices.videos = [Video(model=VideoModel(type=vtype, vram=default_video_ram(dom.type, vtype) or None,
                                                     heads=1))]


def _set_video(model: str) -> Any:
    def handler(st: ArgvState, opt: str, val: str) -> None:
        st.video = model
    return handler


def _alias(dev: Any, i: int, flags: frozenset[str]) -> str | None:
    return f"video{i}" if "device" in flags else None


def _guest_name(v: Any, i: int) -> tuple[str, dict[str, str | None]]:
    m = v.model
    return ("video" if i == 0 else f"video {i + 1}",
            {"model": m.type if m else None, "vram": shown(m.vram if m else None),
             "heads": shown(m.heads if m else None)})


FAMILY = Family(
    name="video",
    devices=lambda devs: devs.videos,
    # the primary card has the fixed slot 2 (see pci.py); further cards take one each
    pci=lambda v, i: True,
    alias=_alias,
    guest_name=_guest_name,
    options={"-vga": Option(_vga_opt), "-std-vga": Option(_set_video("vga"), takes_value=False),
             "-vmwarevga": Option(_set_video("vmvga"), takes_value=False)},
)
