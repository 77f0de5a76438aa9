"""<graphics>: VNC, SDL, RDP, desktop displays as libvirt 0.8.3 reads and prints them
in an inactive definition."""
from __future__ import annotations

from lxml import etree

from .base import INT, Attr, Element, YesNo

GRAPHICS_TYPES = ("sdl", "vnc", "rdp", "desktop")


class Graphics(Element):
    type = Attr("type")
    # vnc: port, autoport, listen, keymap; sdl/desktop: display, xauth, fullscreen;
    # rdp: port, autoport, replaceUser, multiUser, listen
    port = Attr("port", INT, read=False)
    autoport = Attr("autoport", YesNo(), read=False, show=lambda g: g.type == "vnc" or bool(g.autoport))
    replaceUser = Attr("replaceUser", YesNo(), read=False)
    multiUser = Attr("multiUser", YesNo(), read=False)
    display = Attr("display", read=False)
    xauth = Attr("xauth", read=False)
    fullscreen = Attr("fullscreen", YesNo(), read=False)
    listen = Attr("listen", raw=True, read=False)
    keymap = Attr("keymap", read=False)
    #: kept for the command line (-vnc ...,password), printed only in secure dumps
    passwd = Attr("passwd", read=False, show=lambda g: False)

    def parsed(self, elem: etree._Element) -> None:
        """virDomainGraphicsDefParseXML for an inactive definition, stored as printed."""
        t = self.type
        if t is None:
            raise self.error("missing graphics device type")
        if t not in GRAPHICS_TYPES:
            raise self.error(f"unknown graphics device type '{t}'")
        get = elem.get
        if t in ("vnc", "rdp"):
            port, auto = 0, False
            text = get("port")
            if text is not None:
                try:
                    port = INT.parse(text)
                except ValueError:
                    raise self.error(f"cannot parse {t} port {text}") from None
                if t == "vnc" and port == -1:  # legacy spelling of autoport
                    port, auto = 0, True
            else:
                auto = True
            if get("autoport") == "yes":
                port, auto = 0, True
            self.autoport = auto
            self.listen = get("listen")
            if t == "vnc":
                # printed: the port, or -1 when libvirt picks one at start-up
                self.port = port if port else (-1 if auto else None)
                self.keymap = get("keymap")
                self.passwd = get("passwd")
            else:
                self.port = port if port else (0 if auto else None)
                self.autoport = True if auto else None
                self.replaceUser = True if get("replaceUser") == "yes" else None
                self.multiUser = True if get("multiUser") == "yes" else None
        else:
            full = get("fullscreen")
            if full not in (None, "yes", "no"):
                raise self.error(f"unknown fullscreen value '{full}'")
            self.fullscreen = True if full == "yes" else None
            self.display = get("display")
            if t == "sdl":
                self.xauth = get("xauth")
