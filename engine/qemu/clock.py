"""The guest clock: -rtc when available, else -localtime; TZ; timer options; both directions."""
from __future__ import annotations

import os
import time

from .argvstate import ArgvState
from .context import Build
from .family import Family, Option


def _now(b: Build) -> int:
    """Wall clock for offset='variable': the build's pinned time, else SOURCE_DATE_EPOCH,
    else now (libvirt used now, so its own test of this case stayed disabled)."""
    if b.now is not None:
        return b.now
    pinned = os.environ.get("SOURCE_DATE_EPOCH")
    return int(pinned) if pinned and pinned.isdigit() else int(time.time())


def rtc_spec(b: Build) -> str:
    """qemuBuildClockArgStr."""
    c = b.dom.clock
    if c.offset == "utc":
        s = "base=utc"
    elif c.offset in ("localtime", "timezone"):
        s = "base=localtime"
    elif c.offset == "variable":
        tm = time.gmtime(_now(b) + (c.adjustment or 0))
        # libvirt prints struct tm's tm_mon as is: January is month 0 (its bug, kept)
        s = (f"base={tm.tm_year}-{tm.tm_mon - 1}-{tm.tm_mday}T{tm.tm_hour}:{tm.tm_min}:{tm.tm_sec}")
    else:
        raise b.refuse(f"unsupported clock offset '{c.offset}'", c)
    for t in c.timers:
        if t.name != "rtc":
            continue
        if t.track == "boot":
            raise b.refuse("unsupported rtc timer track 'boot'", t)
        if t.track == "guest":
            s += ",clock=vm"
        elif t.track == "wall":
            s += ",clock=host"
        if t.tickpolicy == "catchup":
            s += ",driftfix=slew"
        elif t.tickpolicy in ("merge", "discard"):
            raise b.refuse(f"unsupported rtc timer tickpolicy '{t.tickpolicy}'", t)
        break  # libvirt looks at the first rtc timer only
    return s


def add_clock(b: Build) -> None:
    c = b.dom.clock
    if b.has("rtc"):
        b.arg("-rtc", rtc_spec(b))
    elif c.offset in ("localtime", "timezone"):
        b.arg("-localtime")
    elif c.offset != "utc":
        raise b.refuse(f"unsupported clock offset '{c.offset}'", c)
    if c.offset == "timezone" and c.timezone:
        b.env("TZ", c.timezone)
    for t in c.timers:
        _timer(b, t)


def _timer(b: Build, t) -> None:  # type: ignore[no-untyped-def]
    """The timer loop of qemudBuildCommandLine."""
    policy = t.tickpolicy
    if t.name == "rtc":
        if b.has("rtc-td-hack"):
            if policy == "catchup":
                b.arg("-rtc-td-hack")
            elif policy in ("merge", "discard"):
                raise b.refuse(f"unsupported rtc tickpolicy '{policy}'", t)
        elif not b.has("rtc"):
            if policy not in (None, "delay"):
                raise b.refuse(f"unsupported rtc tickpolicy '{policy}'", t)
            if t.track is not None:
                b.warn(f"rtc timer track '{t.track}' needs -rtc clock= (the rtc capability); "
                       "libvirt drops it", t)
    elif t.name == "pit":
        if policy in (None, "delay"):
            if b.has("no-kvm-pit"):
                b.arg("-no-kvm-pit-reinjection")
        elif policy == "catchup":
            if b.has("no-kvm-pit"):
                pass  # the in-kernel PIT catches up by default
            elif b.has("tdf"):
                b.arg("-tdf")
            else:
                raise b.refuse(f"unsupported pit tickpolicy '{policy}'", t)
        else:
            raise b.refuse(f"unsupported pit tickpolicy '{policy}'", t)
    elif t.name == "hpet":
        if b.has("no-hpet"):
            if t.present is False:
                b.arg("-no-hpet")
        elif t.present is True:
            # libvirt reports "pit timer is not supported" here but goes on building
            b.warn("an HPET needs the no-hpet capability (QEMU with an HPET); libvirt "
                   "reports an error, then builds without it", t)
    else:
        raise b.refuse(f"unsupported timer type (name) '{t.name}'", t)


# --------------------------------------------------------------------------- argv2xml

def _localtime_opt(st: ArgvState, opt: str, val: str) -> None:
    st.dom.clock.offset = "localtime"


FAMILY = Family(
    name="clock",
    options={"-localtime": Option(_localtime_opt, takes_value=False)},
)
