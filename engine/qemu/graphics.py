"""Graphics: -vnc (with qemu.conf listen/TLS/SASL settings) or SDL through the environment;
both directions."""
from __future__ import annotations

from typing import Any

from ..caps.profiles import SDL_ENV_COPY
from ..model.graphics import Graphics
from .argvstate import ArgvState
from .argvvalues import ArgError, str_to_int, wrap_int
from .context import Build
from .escape import c_str, opt
from .family import Family, Option


def add_nographic(b: Build) -> None:
    """No graphics device: -nographic, which must come before any serial/monitor/parallel option."""
    if not b.dom.devices.graphics:
        b.arg("-nographic")


def vnc_port(g: Any) -> int:
    """The port of an inactive definition: 0 when libvirtd picks one at start-up (autoport),
    which is what libvirt's own tests print (as display -5900)."""
    return 0 if g.autoport or g.port is None else g.port


def add_graphics(b: Build) -> None:
    gfx = b.dom.devices.graphics
    if not gfx:
        return
    if len(gfx) > 1:
        b.warn("QEMU takes one display: libvirt 0.8.3 builds none of several graphics devices", gfx[1])
        return
    g = gfx[0]
    conf = b.conf
    if g.type == "vnc":
        port = vnc_port(g)
        if b.has("vnc-colon"):
            listen = g.listen if g.listen is not None else conf.vnc_listen  # listen="" wins
            spec = (opt(listen, "VNC listen address") if listen else "") + f":{wrap_int(port - 5900)}"  # int
            if getattr(g, "passwd", None) is not None or conf.vnc_password is not None:  # "" too
                spec += ",password"
            if conf.vnc_tls:
                spec += ",tls"
                cdir = opt(c_str(conf.vnc_tls_x509_cert_dir), "certificate directory")
                spec += f",x509verify={cdir}" if conf.vnc_tls_x509_verify else f",x509={cdir}"
            if conf.vnc_sasl:
                spec += ",sasl"
                if conf.vnc_sasl_dir:
                    b.env("SASL_CONF_DIR", conf.vnc_sasl_dir)
        else:
            if g.listen:
                b.warn("a VNC listen address needs -vnc HOST:DISPLAY (the vnc-colon capability); "
                       "libvirt drops it", g)
            spec = str(wrap_int(port - 5900))
        b.arg("-vnc", spec)
        if g.keymap is not None:  # keymap='' too: an empty argument
            b.arg("-k", g.keymap)
        # QEMU's VNC audio extension: never let it open the host's sound devices
        b.env("QEMU_AUDIO_DRV", "none")
    elif g.type == "sdl":
        if g.xauth is not None:  # "" too: XAUTHORITY=
            b.env("XAUTHORITY", g.xauth)
        if g.display is not None:
            b.env("DISPLAY", g.display)
        if g.fullscreen:
            b.arg("-full-screen")
        for name, value in b.profile.copy_env(SDL_ENV_COPY):
            b.env(name, value)
        if b.has("sdl"):
            b.arg("-sdl")
    else:
        b.warn(f"graphics type '{g.type}' has no QEMU option: libvirt 0.8.3 builds no display "
               "(nor -nographic)", g)


# --------------------------------------------------------------------------- argv2xml

def _vnc_opt(st: ArgvState, opt: str, val: str) -> None:
    """-vnc [HOST]:DISPLAY[,opts]: port 5900+DISPLAY and the listen address as written
    (empty when none); no ':' is an automatic port. Options after the display are
    ignored (TLS/SASL/password come from qemu.conf)."""
    host, colon, rest = val.partition(":")
    if not colon:
        st.dom.devices.graphics.append(Graphics(type="vnc", port=-1, autoport=True))
        return
    n, _ = str_to_int(rest, trailing=True)
    if n is None:
        raise ArgError(f"cannot parse VNC port '{rest}'")
    port = wrap_int(n + 5900)
    # libvirt writes no port at all for port 0 of a fixed-port display
    st.dom.devices.graphics.append(Graphics(type="vnc", port=port or None, autoport=False, listen=host))


def default_display(st: ArgvState) -> None:
    """After the loop: no display option and no -nographic is SDL, with the X display
    of the command line's environment."""
    devs = st.dom.devices
    if not st.nographics and not devs.graphics:
        devs.graphics = [Graphics(type="sdl", display=st.cmd.getenv("DISPLAY"),
                                  xauth=st.cmd.getenv("XAUTHORITY"),
                                  fullscreen=True if st.fullscreen else None)]


def _full_screen_opt(st: ArgvState, opt: str, val: str) -> None:
    st.fullscreen = True


def _nographic_opt(st: ArgvState, opt: str, val: str) -> None:
    st.nographics = True


FAMILY = Family(
    name="graphics",
    devices=lambda devs: devs.graphics,
    guest_sees=False,  # the display backend: the guest sees the video card
    options={"-vnc": Option(_vnc_opt),
             "-full-screen": Option(_full_screen_opt, takes_value=False),
             "-nographic": Option(_nographic_opt, takes_value=False)},
)
