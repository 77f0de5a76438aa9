"""A QEMU command line -> the Domain it describes: libvirt 0.8.3's qemuParseCommandLine.

Why: ``virsh domxml-from-native qemu-argv`` is how guests started by hand were
brought under libvirt, and virtconform answers what libvirt 0.8.3 made of a
command line -- bugs included. So this is its conversion, rule for rule:

- the defaults it starts from (engine/qemu/argvstate.py), the ``-net nic``
  first pass, then one pass over the arguments;
- each option is read by the family that declares it (registry.OPTIONS and
  registry.PREFIXES, engine/qemu/<family>.py), with libvirt's value rules;
- an argument no family reads is dropped with a located warning, as libvirt
  dropped it ("unknown QEMU argument"); its value, if it has one, is then read
  as an argument of its own, as libvirt did. ``strict`` turns warnings into
  refusals;
- after the loop: SDL graphics when there is no display option, the video card
  and PS/2 mouse that come with graphics, the balloon, the implicit controllers.

This module is the loop and the assembly only.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..defaults import GuestCaps, add_implicit_controllers
from ..errors import ConfigError
from ..model.domain import Domain
from . import registry
from .argvsplit import Token, split_command_line
from .argvstate import ArgvState, ConversionWarning, ParseOptions
from .argvvalues import ArgError


@dataclass
class Conversion:
    """The result of argv2xml: the domain, its XML, and the warnings on the way."""

    domain: Domain
    warnings: list[ConversionWarning]

    @property
    def xml(self) -> str:
        return self.domain.to_xml()


def convert(text: str, caps: GuestCaps | None = None, path: str = "<string>",
            options: ParseOptions | None = None) -> Conversion:
    """The domain a ``.args`` text describes, and libvirt's warnings (``caps`` is unused:
    libvirt's conversion takes nothing from the host but the MAC address prefix)."""
    st = parse(text, path, options or ParseOptions())
    return Conversion(st.dom, st.warnings)


def parse_argv_text(text: str, caps: GuestCaps | None = None, path: str = "<string>",
                    options: ParseOptions | None = None) -> Domain:
    """The Domain of a ``.args`` text (warnings dropped, as libvirt's API dropped them)."""
    return convert(text, caps, path, options).domain


def argv_to_xml(text: str, caps: GuestCaps | None = None, path: str = "<string>",
                options: ParseOptions | None = None) -> str:
    """The domain XML of a ``.args`` text, as libvirt printed it (schema-valid or not)."""
    return convert(text, caps, path, options).xml


def parse(text: str, path: str, options: ParseOptions) -> ArgvState:
    """qemuParseCommandLineString: split, then qemuParseCommandLine."""
    cmd = split_command_line(text, path)
    st = ArgvState.start(path, cmd, options)
    args = cmd.args
    # first pass: the guest side of every NIC, to pair with its host side by vlan
    i = 0
    while i < len(args):
        opt = _fold(args[i].text)
        handlers = registry.PRESCAN.get(opt)
        if handlers:
            i = _want_value(st, args, i, opt)
            st.tok = args[i]
            for handler in handlers:
                handler(st, opt, args[i].text)
        i += 1
    i = 0
    while i < len(args):
        tok = args[i]
        opt = _fold(tok.text)
        st.tok = tok
        readers = [o for o in registry.readers(opt) if o.when is None or o.when(st)]
        if not readers:
            st.warn(f"unknown QEMU argument '{opt}' during conversion", tok)
            i += 1
            continue
        val = ""
        if readers[0].takes_value:
            i = _want_value(st, args, i, opt)
            st.tok = args[i]
            val = args[i].text
        reader = next((o for o in readers if o.claims is None or o.claims(val)), None)
        assert reader is not None, f"no reader of {opt} takes '{val}'"  # registry: one fallback each
        try:
            reader.handler(st, opt, val)
        except ArgError as e:
            raise _located(e, path, st.tok) from None
        i += 1
    _assemble(st)
    return st


def _fold(text: str) -> str:
    """QEMU takes --opt for -opt; libvirt folds one leading dash the same way."""
    return text[1:] if text.startswith("--") else text


def _want_value(st: ArgvState, args: list[Token], i: int, opt: str) -> int:
    """WANT_VALUE: the index of the option's value, or the error libvirt gives."""
    if i + 1 >= len(args):
        raise _located(ConfigError(f"missing value for {opt} argument"), st.path, args[i])
    return i + 1


def _located(err: ConfigError, path: str, tok: Token | None) -> ConfigError:
    if tok is not None:
        err.located(path, tok.line, tok.col)
    return err


def _assemble(st: ArgvState) -> None:
    """The part of qemuParseCommandLine after the loop, and what libvirt's formatter
    derives: the families' part (registry.ARGV_AFTER_LOOP: the default display, the card
    and mouse that come with it, the balloon, the console echo), then the domain's."""
    dom = st.dom
    for step in registry.ARGV_AFTER_LOOP:
        step(st)
    if dom.name is None:
        dom.name = "unnamed"
    if dom.uuid is None:  # libvirt draws a random one; ours is the command line's
        dom.uuid = st.derived_uuid()
    add_implicit_controllers(dom.devices)
    if dom.features is not None and not (dom.features.acpi or dom.features.pae):
        dom.features = None
    if dom.bootloader is not None:
        dom.os.boot = []  # virDomainDefFormat writes boot devices only without a bootloader
    if dom.cpu is not None and dom.cpu.model is None:
        dom.cpu.match = None  # virCPUDefFormat writes a match only with a model
