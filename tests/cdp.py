"""A headless Chromium driven over the Chrome DevTools protocol, for the HTML report tests.

The browser speaks the protocol on a pipe (``--remote-debugging-pipe``: JSON messages
separated by NUL on file descriptors 3 and 4), so no port is opened and no websocket
client is needed. One browser serves every page of a test session; each page gets a fresh
tab. What a page did is recorded from the protocol's events: every request it made
(``Network.requestWillBeSent``), console messages and uncaught exceptions
(``Runtime.consoleAPICalled``, ``Runtime.exceptionThrown``) and the browser's own log
(``Log.entryAdded``: blocked loads, Content-Security-Policy violations).
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"

#: the flags of the brief: headless, no sandbox (root in CI containers), nothing phoning home
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--no-default-browser-check", "--disable-dev-shm-usage", "--remote-debugging-pipe"]


def find_chromium() -> str | None:
    for c in (os.environ.get("VIRTCONFORM_CHROMIUM"), CHROMIUM, shutil.which("chromium")):
        if c and os.access(c, os.X_OK):
            return c
    return None


class BrowserError(RuntimeError):
    pass


@dataclass
class Visit:
    """What one page load showed: requests, console errors, and the page's session."""

    url: str
    session: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    loaded: bool = False


class Browser:
    def __init__(self, executable: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="vc-chromium-")
        self.log = open(Path(self.profile) / "chromium.log", "wb")  # noqa: SIM115 - closed in close()
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        devnull = os.open(os.devnull, os.O_RDONLY)
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, self.log.fileno(), 1),
                   (os.POSIX_SPAWN_DUP2, self.log.fileno(), 2),
                   (os.POSIX_SPAWN_DUP2, to_child_r, 3), (os.POSIX_SPAWN_DUP2, from_child_w, 4)]
        argv = [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        try:
            self.pid = os.posix_spawn(executable, argv, os.environ, file_actions=actions, setsid=True)
        finally:
            for fd in (to_child_r, from_child_w, devnull):
                os.close(fd)
        self._buf = b""
        self._next = 0
        self._events: list[dict[str, Any]] = []
        self.visits: dict[str, Visit] = {}
        try:
            self.version = self.call("Browser.getVersion")["product"]
        except BrowserError:
            self.close()
            raise

    # ------------------------------------------------------------ the protocol
    def _send(self, msg: dict[str, Any]) -> None:
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self._to_child, data)
            data = data[n:]

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no answer from the browser within {self.timeout:g}s")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise BrowserError("the browser closed the protocol pipe (it died): "
                                       + self.log_tail())
                self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self._send(msg)
        deadline = time.monotonic() + self.timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self._next:
                if "error" in m:
                    raise BrowserError(f"{method}: {m['error'].get('message')}")
                return m.get("result", {})
            self._event(m)

    def _event(self, m: dict[str, Any]) -> None:
        visit = self.visits.get(m.get("sessionId", ""))
        if visit is None:
            return
        method, p = m.get("method"), m.get("params", {})
        if method == "Network.requestWillBeSent":
            visit.requests.append(p["request"]["url"])
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            visit.errors.append(f"console.{p['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            visit.errors.append(f"exception: {p['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
            e = p["entry"]
            visit.errors.append(f"{e.get('source')} {e['level']}: {e.get('text')} {e.get('url', '')}".strip())
        elif method == "Page.loadEventFired":
            visit.loaded = True

    # ------------------------------------------------------------ pages
    def open(self, path: Path, width: int = 1280, height: int = 900) -> Visit:
        """Load a local file in a fresh tab and wait for its load event."""
        url = path.resolve().as_uri()
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        visit = self.visits[session] = Visit(url, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session)
        self.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        nav = self.call("Page.navigate", session, url=url)
        if nav.get("errorText"):
            raise BrowserError(f"cannot load {url}: {nav['errorText']}")
        deadline = time.monotonic() + self.timeout
        while not visit.loaded:
            self._event(self._read(deadline))
        self.evaluate(visit, "document.readyState")  # drains the events of the load
        return visit

    def evaluate(self, visit: Visit, expression: str) -> Any:
        r = self.call("Runtime.evaluate", visit.session, expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise BrowserError(f"evaluating failed: {r['exceptionDetails'].get('text')}")
        return r["result"].get("value")

    def screenshot(self, visit: Visit, out: Path, *, max_height: int = 6000, media: str = "screen",
                   top: int = 0) -> Path:
        """A PNG of the page (``max_height`` CSS pixels from ``top``), as a screen or a printer shows it."""
        self.call("Emulation.setEmulatedMedia", visit.session, media=media)
        size = self.evaluate(visit, "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        clip = {"x": 0, "y": top, "width": size[0], "height": max(1, min(size[1] - top, max_height)), "scale": 1}
        data = self.call("Page.captureScreenshot", visit.session, format="png", captureBeyondViewport=True,
                         clip=clip)["data"]
        self.call("Emulation.setEmulatedMedia", visit.session, media="")
        out.write_bytes(base64.b64decode(data))
        return out

    def pdf(self, visit: Visit, out: Path) -> Path:
        data = self.call("Page.printToPDF", visit.session, printBackground=True)["data"]
        out.write_bytes(base64.b64decode(data))
        return out

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = (Path(self.profile) / "chromium.log").read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def close(self) -> None:
        try:
            self._send({"id": self._next + 1, "method": "Browser.close", "params": {}})
        except OSError:  # already gone
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        else:
            os.killpg(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        for fd in (self._to_child, self._from_child):
            os.close(fd)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
