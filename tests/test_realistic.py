"""Documents in the style of the world outside the project, held to libvirt's own code.

``corpus/realistic/`` holds hand-written domains the way 2010 tools and drivers wrote them
(virt-install and virt-manager guests, ``virsh dumpxml`` of running and defined domains,
libvirt's documentation and the test data of its Xen, LXC, OpenVZ, VirtualBox, ESX and UML
drivers) and QEMU command lines as libvirt and people launched them. Every document goes
through xml2xml, argv for every named capability set (and a -device QEMU with every later
flag) and argv2xml of libvirt's lines; every command line through argv2xml as it is. The
expected answers are never written here: the crosscheck asks ../shared/oracle at run time.
"""
from __future__ import annotations

import json

import pytest

from virtconform.conformance.suites.shared import REPO, oracle_command

REALISTIC = REPO / "corpus" / "realistic"
LATER_QEMU = "qemu-0.12.1,nodefconfig,netdev,monitor-json,mem-path,pcidevice,enable-kvm,vnet-host,rtc-td-hack"


def test_the_corpus_is_varied() -> None:
    docs = sorted(REALISTIC.glob("*.xml"))
    lines = sorted(REALISTIC.glob("*.args"))
    assert len(docs) >= 30 and len(lines) >= 8
    types = {d.read_text().split("type=", 1)[1][1:].split("'")[0].split('"')[0] for d in docs}
    assert {"kvm", "qemu", "xen", "lxc", "openvz", "vbox", "vmware", "uml", "kqemu"} <= types


def test_every_mode_agrees_with_libvirt(capsys: pytest.CaptureFixture[str]) -> None:
    oracle = oracle_command()
    if oracle is None:
        pytest.skip("../shared/oracle is not present")
    from virtconform.conformance.cli.main import main
    from virtconform.engine.caps.flags import NAMED_SETS
    caps = [a for name in NAMED_SETS for a in ("--caps", name)] + ["--caps", LATER_QEMU]
    rc = main(["crosscheck", "--oracle", str(oracle), "--json", "--minimize-seconds", "5", *caps, str(REALISTIC)])
    report = json.loads(capsys.readouterr().out)
    problems = [(g["kind"], g["example"], g["witness"][:600]) for g in report["groups"] + report["crashes"]]
    assert rc == 0 and not problems, problems
    cells = {(c["mode"], c["caps"]): c for c in report["table"]}
    assert cells[("xml2xml", "-")]["identical"] >= 25  # most of them are libvirt's to format
    given = cells[("argv2xml", "given lines")]
    assert given["compared"] + given["deliberate"] == len(list(REALISTIC.glob("*.args")))
    assert sum(c["identical"] for (mode, _), c in cells.items() if mode == "argv") >= 100
