"""The conformance properties under the Hypothesis profile in force (HYPOTHESIS_PROFILE, default ci),
with Hypothesis' health checks on, and each property's skip rate held to its stated bound."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from virtconform.conformance.campaign import differential as D
from virtconform.conformance.campaign import properties as P
from virtconform.conformance.campaign.catalogue import PROPERTIES
from virtconform.conformance.campaign.properties import Skip, qemu_options
from virtconform.conformance.generators.strategies import domains


@pytest.mark.parametrize("name", list(PROPERTIES))
def test_property_holds_and_skips_within_its_bound(name: str, request: pytest.FixtureRequest) -> None:
    from hypothesis import assume
    prop = PROPERTIES[name]
    why = prop.unavailable()
    if why:
        pytest.skip(why)
    counts = {"run": 0, "skipped": 0}
    P.clear_caches()

    @given(domains(hostile=prop.hostile))
    def check(xml: str) -> None:
        try:
            prop.check(xml)
        except Skip:
            counts["skipped"] += 1
            assume(False)
        counts["run"] += 1

    check()
    tried = counts["run"] + counts["skipped"]
    # shown in the test run's summary (tests/conftest.py)
    request.node.user_properties.append(("virtconform_skip_rate", (name, counts["skipped"], tried, prop.max_skip)))
    assert counts["run"] > 0
    assert not P.skips_beyond_bound(counts["skipped"], tried, prop.max_skip), \
        f"{name} skipped {counts['skipped']} of {tried} examples (bound {prop.max_skip:.0%})"


def test_skip_bound_is_judged_with_confidence() -> None:
    assert P.skips_beyond_bound(50, 50, 0.8)        # skips everything: fails
    assert P.skips_beyond_bound(23, 23, 0.5)
    assert not P.skips_beyond_bound(16, 20, 0.8)    # 80% of 20: not sure it is above 80%
    assert not P.skips_beyond_bound(11, 20, 0.6)
    assert P.skips_beyond_bound(700, 1000, 0.6)     # 70% of 1000: sure
    assert not P.skips_beyond_bound(0, 0, 0.5)


def test_qemu_options_splits_like_qemu() -> None:
    assert qemu_options("file=/a,,b,if=ide") == ["file=/a,b", "if=ide"]
    assert qemu_options("a,,,b") == ["a,", "b"]
    assert qemu_options("") == [""]


@given(st.text(alphabet="ab,=", max_size=12))
def test_doubled_commas_stay_in_one_option(value: str) -> None:
    assert qemu_options("x=" + value.replace(",", ",,")) == ["x=" + value]


_EVIL = """<domain type='qemu'>
  <name>evil,if=floppy</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory>219136</memory>
  <vcpu>1</vcpu>
  <os><type arch='i686' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <emulator>/usr/bin/qemu</emulator>
    <disk type='file' device='disk'>
      <source file='/var/lib/disk.img'/>
      <target dev='hda' bus='ide'/>
    </disk>
  </devices>
</domain>
"""


def _switch_off_comma_doubling(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import pkgutil

    import virtconform.engine.qemu as qemu
    from virtconform.engine.qemu import escape
    original = escape.opt

    def opt(value: str, what: str = "value") -> str:
        return escape.check_value(value, what)
    patched = 0
    for info in pkgutil.walk_packages(qemu.__path__, "virtconform.engine.qemu."):
        module = importlib.import_module(info.name)
        if getattr(module, "opt", None) is original:
            monkeypatch.setattr(module, "opt", opt)
            patched += 1
    assert patched, "no module of the builder doubles commas through escape.opt any more"
    P.clear_caches()


def test_injection_property_holds_for_a_comma_in_a_name() -> None:
    P.clear_caches()
    P.prop_no_option_injection(_EVIL)


def test_injection_property_catches_a_split_value(monkeypatch: pytest.MonkeyPatch) -> None:
    _switch_off_comma_doubling(monkeypatch)
    with pytest.raises(AssertionError, match="split across options"):
        P.prop_no_option_injection(_EVIL)
    P.clear_caches()


def test_argv_deterministic_pins_a_variable_clock() -> None:
    """Two builds of an offset='variable' clock agree although the wall clock moves between them."""
    import time as real_time
    xml = _EVIL.replace("</devices>", "</devices>\n  <clock offset='variable' adjustment='3600'/>") \
               .replace("evil,if=floppy", "clocked")
    ticks = iter(range(1_000_000_000, 2_000_000_000, 7))
    from virtconform.engine.qemu import clock
    old = clock.time
    try:
        clock.time = type("T", (), {"time": staticmethod(lambda: next(ticks)), "gmtime": real_time.gmtime})
        P.clear_caches()
        P.prop_argv_deterministic(xml)
        cmd = P.analysis(xml).command_line(P._flag_sets()["qemu-0.12.1"])
        # libvirt prints struct tm's tm_mon, counted from 0: July is 6 (its bug, reproduced)
        assert "-rtc" in cmd.argv and "base=2010-6-27T1:0:0" in cmd.argv[cmd.argv.index("-rtc") + 1]
    finally:
        clock.time = old
        P.clear_caches()


def _oracle() -> None:
    why = PROPERTIES["argv-xml-argv"].unavailable()
    if why:
        pytest.skip(why)
    P.clear_caches()


_KVM64 = _EVIL.replace("<domain type='qemu'>", "<domain type='kvm'>").replace("evil,if=floppy", "plain") \
    .replace("arch='i686'", "arch='x86_64'").replace("/usr/bin/qemu<", "/usr/bin/kvm<")
#: no disk: libvirt's reader refuses the -device syntax's if=none drives, and reads the rest
#: of a -device command line with a warning for each option of that syntax
_NO_DISK = _KVM64[:_KVM64.index("    <disk")] + _KVM64[_KVM64.index("  </devices>"):]


def test_agrees_with_libvirt_builds_a_variable_clock_at_the_oracles_instant() -> None:
    """The campaign's answers come from the shared analysis, built at PINNED_EPOCH; a
    variable clock's command line is built again, from the same load, at the instant the
    oracle read its clock (else -rtc base= would differ by years)."""
    _oracle()
    xml = _EVIL.replace("</devices>", "</devices>\n  <clock offset='variable' adjustment='3600'/>") \
               .replace("evil,if=floppy", "clocked")
    D.warm(xml)
    assert callable(D.our_side(xml, True)[1])
    D.prop_agrees_with_libvirt(xml)


def test_argv_xml_argv_holds_where_libvirt_round_trip_is_lossy() -> None:
    """libvirt reads an x86_64 kvm guest's command line as i686 (and adds -cpu qemu32 when it
    builds it again): the round trip is not the identity, and the property holds."""
    _oracle()
    from virtconform.engine.loader import domain_from_string
    from virtconform.engine.qemu.argvparse import argv_to_xml
    caps = P._profile().capabilities
    flags = P._flag_sets()["qemu-0.9.1"]
    first = P.analysis(_KVM64).command_line(flags).render()
    again = P.build_command_line_pinned(domain_from_string(argv_to_xml(first, caps), caps), flags).render()
    assert "-cpu qemu32" in again and "-cpu" not in first
    D.prop_argv_xml_argv(_KVM64)


def test_argv_xml_argv_fails_when_our_reader_refuses_what_libvirt_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    _oracle()
    from virtconform.engine.errors import ConfigError
    from virtconform.engine.qemu import argvparse

    def refuse(text: str, caps: object = None, path: str = "<string>", options: object = None) -> object:
        raise ConfigError("unsupported QEMU argument '-planted'", path=path, line=1, column=1)
    monkeypatch.setattr(argvparse, "convert", refuse)
    with pytest.raises(AssertionError, match=r"step 2 \(argv2xml.*we refuse, libvirt builds"):
        D.prop_argv_xml_argv(_KVM64)


def test_argv_xml_argv_fails_when_a_read_back_domain_builds_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """A builder that goes wrong only on what the reader makes (an i686 guest of a 64-bit
    kvm, which the generator rarely writes) is caught at step 3."""
    _oracle()
    from virtconform.engine.qemu import builder
    real = builder.build_command_line

    def build(*args: object, **kw: object) -> object:
        cmd = real(*args, **kw)
        cmd.argv[:] = ["qemu64" if a == "qemu32" else a for a in cmd.argv]
        return cmd
    monkeypatch.setattr(builder, "build_command_line", build)
    with pytest.raises(AssertionError, match=r"step 3 \(argv of the domain read back\).*-cpu"):
        D.prop_argv_xml_argv(_KVM64)


def test_argv2xml_total_fails_when_the_reader_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    from virtconform.engine.qemu import argvparse

    def crash(*args: object, **kw: object) -> None:
        raise KeyError("planted")
    monkeypatch.setattr(argvparse, "convert", crash)
    P.clear_caches()
    with pytest.raises(AssertionError, match="reading the builder's command line: KeyError"):
        P.prop_argv2xml_total(_KVM64)


def test_argv2xml_total_checks_where_warnings_point(monkeypatch: pytest.MonkeyPatch) -> None:
    from virtconform.engine.qemu import argvparse
    from virtconform.engine.qemu.argvstate import ConversionWarning
    real = argvparse.convert

    def misplaced(*args: object, **kw: object) -> object:
        conv = real(*args, **kw)
        conv.warnings = [ConversionWarning(w.message, w.path, w.line, w.col + 1) for w in conv.warnings]
        return conv
    P.clear_caches()
    P.prop_argv2xml_total(_NO_DISK)
    lines = [P.analysis(_NO_DISK).command_line(f) for f in P.reader_sets(_NO_DISK).values()]
    assert any(P.read_command_line(c.render()).warnings for c in lines if c), "nothing to point at"
    monkeypatch.setattr(argvparse, "convert", misplaced)
    P.clear_caches()
    with pytest.raises(AssertionError, match="does not point at"):
        P.prop_argv2xml_total(_NO_DISK)


def test_argv_deterministic_catches_a_build_that_reads_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from virtconform.engine.qemu import builder
    real = builder.build_command_line

    def stamped(*args: object, **kw: object) -> object:
        cmd = real(*args, **kw)
        cmd.argv.append(f"-planted-{kw.get('now')}")
        return cmd
    monkeypatch.setattr(builder, "build_command_line", stamped)
    P.clear_caches()
    with pytest.raises(AssertionError, match="two builds differ"):
        P.prop_argv_deterministic(_KVM64)
    P.clear_caches()


def test_xml2xml_takes_two_rounds_where_libvirt_does(tmp_path) -> None:
    """A video vram of 0: libvirt formats it as nothing, which its parser then defaults, so
    its own xml2xml reaches the fixed point in the second round; ours does as libvirt's
    (compared round by round with ../shared/oracle), and the property holds."""
    _oracle()
    from virtconform.conformance.crosscheck.protocol import Oracle
    from virtconform.conformance.suites.shared import oracle_command
    from virtconform.engine.loader import domain_from_string
    xml = _EVIL.replace("evil,if=floppy", "video0").replace("</devices>", "<video><model type='vga' vram='0'/></video>"
                                                          "<graphics type='vnc'/></devices>")
    oracle = Oracle(str(oracle_command()))
    caps = P._profile().capabilities
    ours, theirs = [xml], [xml]
    for k in range(2):
        ours.append(domain_from_string(ours[-1], caps).to_xml())
        path = tmp_path / f"round{k}.xml"
        path.write_text(theirs[-1])
        answer = oracle.single("xml2xml", str(path))
        assert answer.built, answer.text
        theirs.append(answer.text)
    assert ours[1:] == theirs[1:]
    assert ours[1] != ours[2], "this document no longer needs a second round: the witness is stale"
    P.clear_caches()
    P.prop_xml2xml_fixed_point(xml)


def test_xml2xml_fixed_point_fails_when_formatting_never_settles(monkeypatch: pytest.MonkeyPatch) -> None:
    from virtconform.engine.model.domain import Domain
    real = Domain.to_xml

    def growing(self: Domain) -> str:
        return real(self).replace("</name>", "x</name>")
    monkeypatch.setattr(Domain, "to_xml", growing)
    P.clear_caches()
    with pytest.raises(AssertionError, match="third round"):
        P.prop_xml2xml_fixed_point(_EVIL.replace("evil,if=floppy", "growing"))
    P.clear_caches()


def test_registering_a_property_adds_it_to_the_suite() -> None:
    prop = P.Property("always-holds", lambda xml: None)
    P.register(prop)
    try:
        assert P.available()["always-holds"] is prop
        with pytest.raises(ValueError):
            P.register(prop)
    finally:
        del P.PROPERTIES["always-holds"]
