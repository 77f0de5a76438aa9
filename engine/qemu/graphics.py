"""Graphics: -vnc (with qemu.conf listen/TLS/SASL settings) or SDL through the environment."""
from __future__ import annotations

from .context import Build
from .escape import opt


def add_graphics(b: Build) -> None:
    gfx = b.dom.devices.graphics
    if not gfx:
        return
    if len(gfx) > 1:
        raise b.refuse("only one graphics device is supported by QEMU", gfx[1])
    g = gfx[0]
    conf = b.conf
    if g.type == "vnc":
        # autoport: libvirtd picks the first free port from 5900 at start-up
        port = 5900 if (g.autoport or g.port is None or g.port < 5900) else g.port
        if b.has("vnc-colon"):
            listen = g.listen if g.listen else getattr(conf, "vnc_listen", None)
            spec = opt(listen or "", "VNC listen address") + f":{port - 5900}"
            if getattr(conf, "vnc_password", None):
                spec += ",password"
            if getattr(conf, "vnc_tls", False):
                spec += ",tls"
                cdir = opt(conf.vnc_tls_x509_cert_dir, "certificate directory")
                spec += f",x509verify={cdir}" if conf.vnc_tls_x509_verify else f",x509={cdir}"
            if getattr(conf, "vnc_sasl", False):
                spec += ",sasl"
                if conf.vnc_sasl_dir:
                    b.env("SASL_CONF_DIR", conf.vnc_sasl_dir)
        else:
            spec = str(port - 5900)
        b.arg("-vnc", spec)
        if g.keymap:
            b.arg("-k", g.keymap)
        # QEMU's VNC audio extension: never let it open the host's sound devices
        b.env("QEMU_AUDIO_DRV", "none")
    elif g.type == "sdl":
        if g.xauth:
            b.env("XAUTHORITY", g.xauth)
        if g.display:
            b.env("DISPLAY", g.display)
        if g.fullscreen:
            b.arg("-full-screen")
        b.env_copy("QEMU_AUDIO_DRV")
        b.env_copy("SDL_AUDIODRIVER")
        if b.has("sdl"):
            b.arg("-sdl")
    else:
        raise b.refuse(f"graphics type '{g.type}' is not supported by QEMU", g)
