"""virtconform crosscheck: the oracle protocol, verdicts and kinds, minimization, the report.

Most tests hold the crosscheck against tests/fake_oracle.py (the oracle's protocol answered by
our own engine, with faults on demand), so they run everywhere; the last ones use libvirt's own
code (../shared/oracle) and skip without it.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from virtconform.conformance.crosscheck import compare, documents, protocol
from virtconform.conformance.crosscheck.answers import CRASH, HANG, HOST, OK, REFUSED, Answer
from virtconform.conformance.crosscheck.compare import judge, kind_subject
from virtconform.conformance.suites.shared import oracle_command

FAKE = f"{sys.executable} {Path(__file__).with_name('fake_oracle.py')}"

DOMAIN = """<domain type='qemu'>
  <name>guest{n}</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db18{n:02d}</uuid>
  <description>{description}</description>
  <memory>219200</memory>
  <currentMemory>219200</currentMemory>
  <vcpu>1</vcpu>
  <os>
    <type arch='i686' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu</emulator>
    <disk type='file' device='disk'>
      <source file='/var/lib/images/{n}.img'/>
      <target dev='hda' bus='ide'/>
    </disk>
    <serial type='pty'>
      <target port='0'/>
    </serial>
    <input type='mouse' bus='ps2'/>
  </devices>
</domain>
"""


def _docs(tmp_path: Path, descriptions: list[str]) -> list[str]:
    out = []
    for n, d in enumerate(descriptions):
        p = tmp_path / f"d{n}.xml"
        p.write_text(DOMAIN.format(n=n, description=d))
        out.append(str(p))
    return out


def _crosscheck(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str],
                **faults: str) -> tuple[int, dict]:
    from virtconform.conformance.cli.main import main
    for k, v in faults.items():
        monkeypatch.setenv(f"FAKE_ORACLE_{k.upper()}", v)
    rc = main(["crosscheck", "--oracle", FAKE, "--json", "--deviations", "none", *args])
    out = capsys.readouterr().out
    return rc, json.loads(out) if out.strip() else {}


# ---------------------------------------------------------------- protocol
def test_batch_lines_are_unescaped_and_a_cut_off_line_is_dropped() -> None:
    out = b"a.xml\tOK\tline\\none\\ttab\\\\n\nb.xml\tERR\tno\nc.xml\tERR\toracle: x; not run\nd.xml\tOK\tcut"
    got = protocol._parse_batch("xml2xml", out)
    assert got["a.xml"] == Answer(OK, "line\none\ttab\\n")
    assert got["b.xml"] == Answer(REFUSED, "no")
    assert got["c.xml"].status == HOST
    assert "d.xml" not in got


def test_command_lines_end_in_one_newline_as_args_files_do() -> None:
    assert protocol._parse_batch("argv", b"a\tOK\t/usr/bin/qemu -S\n")["a"].text == "/usr/bin/qemu -S\n"


def test_flags_go_to_the_oracle_in_bit_order() -> None:
    assert protocol.flags_argument({"device", "drive", "kqemu"}) == "kqemu,drive,device"
    assert protocol.flags_argument(()) == "none"


def test_a_batch_crash_is_isolated_by_single_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _docs(tmp_path, ["a", "b", "CRASHME", "c", "d", "e"])
    monkeypatch.setenv("FAKE_ORACLE_CRASH", "CRASHME")
    got = protocol.Oracle(FAKE).batch("argv", files, {"drive", "name"})
    assert [got[f].status for f in files] == [OK, OK, CRASH, OK, OK, OK]
    assert "SIGSEGV" in got[files[2]].text


def test_a_document_that_keeps_the_oracle_busy_is_answered_hang(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """CPU time, not wall time, decides (the kernel stops the process at its limit): the
    verdict does not depend on the machine's load; the batch's other answers survive."""
    files = _docs(tmp_path, ["a", "SPIN", "b", "c"])
    monkeypatch.setenv("FAKE_ORACLE_HANG", "SPIN")
    oracle = protocol.Oracle(FAKE, hang_seconds=1)
    got = oracle.batch("xml2xml", files)
    assert [got[f].status for f in files] == [OK, HANG, OK, OK]
    assert oracle.single("xml2xml", files[1]).status == HANG
    v = judge("xml2xml", Answer(REFUSED, "disk 'sdz' implies 7 scsi controllers"), got[files[1]])
    assert v.outcome == compare.LIBVIRT_HANG and not v.agrees
    assert v.kinds == ("xml2xml: libvirt hangs, we refuse: disk _ implies _ scsi controllers",)


def test_a_hangs_row_makes_our_refusal_deliberate_in_both_document_modes() -> None:
    from virtconform.conformance.crosscheck import deviations
    rows = [r for r in deviations.rows() if r.libvirt.outcome == "hangs"]
    assert {r.id for r in rows} >= {"implied-controllers", "argv2xml-implied-controllers"}
    deliberate = deviations.Deliberate({}, rows)
    ours = Answer(REFUSED, "disk 'hdqqqqqqq' implies 900000 ide controllers (more than 100,000)")
    for mode in ("xml2xml", "argv", "argv2xml"):
        kind = judge(mode, ours, Answer(HANG, "no answer"))
        assert kind.kinds[0] in deliberate, kind.kinds
    other = judge("argv", Answer(REFUSED, "No more available PCI addresses"), Answer(HANG, "no answer"))
    assert other.kinds[0] not in deliberate
    assert judge("argv", Answer(OK, LINE), Answer(HANG, "no answer")).kinds[0] not in deliberate


def test_an_empty_uuid_is_pinned_as_a_missing_one() -> None:
    """libvirt reads string(./uuid[1]): empty is none, and it draws a random UUID."""
    from virtconform.conformance.crosscheck.documents import pin_random
    doc = "<domain type='qemu'><name>a</name><uuid/><memory>1</memory></domain>"
    pinned = pin_random(doc)
    assert re.search(r"<uuid>[0-9a-f-]{36}</uuid>", pinned) and pinned.count("<uuid") == 1
    kept = "<domain type='qemu'><name>a</name><uuid> </uuid><memory>1</memory></domain>"
    assert pin_random(kept) == kept  # a blank one is no UUID: libvirt refuses it


def test_a_missing_oracle_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(protocol.OracleUnavailable):
        protocol.Oracle(str(tmp_path / "nope")).batch("xml2xml", _docs(tmp_path, ["a"]))


# ---------------------------------------------------------------- verdicts and kinds
LINE = "LC_ALL=C /usr/bin/qemu -S -M pc -m 214 -smp 1 -nographic -boot c -drive file=/a,if=ide,index=0 -usb\n"


def test_same_output_or_both_refusing_agree() -> None:
    assert judge("argv", Answer(OK, LINE), Answer(OK, LINE)).agrees
    assert judge("argv", Answer(REFUSED, "ours"), Answer(REFUSED, "theirs")).agrees


def test_kinds_name_the_option_not_the_values() -> None:
    theirs = LINE.replace("-m 214", "-m 512").replace("-usb", "-no-kqemu -usb").replace("index=0", "index=0,boot=on")
    v = judge("argv", Answer(OK, LINE), Answer(OK, theirs))
    assert v.outcome == compare.DIFFERENT
    assert set(v.kinds) == {"argv: -m: value differs", "argv: -no-kqemu only in libvirt",
                            "argv: -drive: boot= only in libvirt"}
    assert "ours `-m 214` / libvirt `-m 512`" in v.detail
    other = judge("argv", Answer(OK, LINE.replace("-m 214", "-m 1")), Answer(OK, LINE.replace("-m 214", "-m 2")))
    assert other.kinds == ("argv: -m: value differs",)


def test_doubled_commas_are_one_kind_and_the_rest_is_compared_without_them() -> None:
    ours = "/q -chardev file,id=serial0,path=/tmp/a,,id=evil -append x,,,,y -m 1"
    theirs = "/q -chardev file,id=serial0,path=/tmp/a,id=evil -append x,,y -m 1"
    assert judge("argv", Answer(OK, ours), Answer(OK, theirs)).kinds == (compare.DOUBLED_COMMAS,)
    v = judge("argv", Answer(OK, ours), Answer(OK, theirs.replace("-m 1", "-m 2")))
    assert v.kinds == (compare.DOUBLED_COMMAS, "argv: -m: value differs")
    same_commas = "/q -append ,,x -serial file:/a,,b"  # a value's own ",," that both print is no doubling
    assert judge("argv", Answer(OK, same_commas), Answer(OK, same_commas.replace("/a", "/b"))).kinds == \
        ("argv: -serial: value differs",)


def test_a_moved_option_and_a_device_driver_are_named() -> None:
    a = "/usr/bin/qemu -S -usb -device virtio-balloon-pci,id=balloon0,addr=0x3 -vnc :0\n"
    b = "/usr/bin/qemu -S -vnc :0 -usb -device virtio-balloon-pci,id=balloon0,addr=0x4\n"
    kinds = judge("argv", Answer(OK, a), Answer(OK, b)).kinds
    assert "argv: -vnc placed differently" in kinds
    assert "argv: -device virtio-balloon-pci: addr= differs" in kinds


def test_refusals_on_one_side_are_kinds_of_their_own() -> None:
    v = judge("argv", Answer(OK, LINE), Answer(REFUSED, "unsupported timer type (name) 'tsc'"))
    assert v.outcome == compare.WE_BUILD and v.kinds == ("argv: we build, libvirt refuses: unsupported timer type (name) _",)
    v = judge("xml2xml", Answer(REFUSED, "disk 'hda': bad"), Answer(OK, "<domain/>"))
    assert v.outcome == compare.WE_REFUSE
    assert judge("argv", Answer(OK, LINE), Answer(CRASH, "signal 11")).outcome == compare.LIBVIRT_CRASH
    assert judge("argv", Answer(OK, LINE), Answer(HOST, "not run")).outcome == compare.HOST_DEPENDENT


def test_xml_kinds_are_element_and_attribute_paths() -> None:
    a = "<domain type='kvm'><os><type arch='i686'>hvm</type></os><devices><memballoon model='virtio'/></devices></domain>"
    b = "<domain type='kvm'><os><type arch='x86_64'>hvm</type><boot dev='hd'/></os><devices/></domain>"
    kinds = set(judge("xml2xml", Answer(OK, a), Answer(OK, b)).kinds)
    assert kinds == {"xml2xml: /domain/os/type/@arch differs", "xml2xml: /domain/os/boot only in libvirt",
                     "xml2xml: /domain/devices/memballoon only in ours"}
    assert judge("xml2xml", Answer(OK, "<a x='1' y='2'/>"), Answer(OK, '<a y="2" x="1"/>')).kinds == \
        ("xml2xml: formatting differs",)
    assert judge("xml2xml", Answer(OK, "<a/>"), Answer(OK, "<a>&</a>")).kinds == \
        ("xml2xml: output is not XML: libvirt's", "xml2xml: line: /a text differs")
    # where an unescaped value broke libvirt's XML, the kind names the attribute
    assert judge("argv2xml", Answer(OK, "<t m='a&apos;b'/>"), Answer(OK, "<t m='a'b'/>")).kinds == \
        ("argv2xml: output is not XML: libvirt's", "argv2xml: line: /@m differs")


def test_argv2xml_compares_as_libvirts_test_does() -> None:
    ours = "<domain>\n  <name>a</name>\n  <uuid>1-2</uuid>\n  <vcpu>1</vcpu>\n</domain>\n"
    theirs = "<domain>\n  <name>b</name>\n  <uuid>3-4</uuid>\n  <vcpu>1</vcpu>\n</domain>\n"
    assert judge("argv2xml", Answer(OK, ours), Answer(OK, theirs)).agrees
    assert not judge("xml2xml", Answer(OK, ours), Answer(OK, theirs)).agrees


def test_a_kind_says_what_it_is_about() -> None:
    assert kind_subject("argv: -device virtserialport: name= differs") == "name="
    assert kind_subject("argv: -boot only in libvirt") == "-boot"
    assert kind_subject("argv: -m: value differs") == "-m"
    assert kind_subject("xml2xml: /domain/devices/channel/address/@port differs") == "port="
    assert kind_subject("xml2xml: /domain/devices/memballoon only in ours") == "<memballoon"
    assert kind_subject("argv: we build, libvirt refuses: x") is None


# ---------------------------------------------------------------- documents
def test_random_values_are_pinned_from_the_document_itself() -> None:
    text = DOMAIN.format(n=1, description="x").replace("  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1801</uuid>\n", "")
    text = text.replace("<input type='mouse' bus='ps2'/>", "<interface type='user'/><interface type='user'/>")
    pinned = documents.pin_random(text)
    assert pinned == documents.pin_random(text)
    assert pinned.count("<uuid>") == 1 and pinned.count("<mac address=") == 2
    assert documents.pin_random(pinned) == pinned
    assert documents.pin_random("not xml") == "not xml"
    # a <mac/> without an address is no MAC to libvirt: it draws one (and reads the first with one)
    empty = documents.pin_random(text.replace("<interface type='user'/><interface", "<interface type='user'><mac/>"
                                              "</interface><interface type='user'><mac/><mac address='52:54:00:00:00:09'/>"
                                              "</interface><interface", 1))
    assert empty.count("<mac address=") == 3 and empty.count("<mac/>") == 1  # the second NIC has one
    # libvirt draws an 802.1Qbg virtual port's instance id too when the document gives none
    port = text.replace("<interface type='user'/><interface type='user'/>",
                        "<interface type='direct'><source dev='eth0' mode='vepa'/><virtualport type='802.1Qbg'>"
                        "<parameters managerid='1' typeid='2' typeidversion='3'/></virtualport></interface>")
    pinned = documents.pin_random(port)
    assert pinned == documents.pin_random(port) and pinned.count("instanceid=") == 1
    assert documents.pin_random(pinned) == pinned


def test_generated_documents_are_those_of_generate(tmp_path: Path) -> None:
    from virtconform.conformance.cli.main import main
    assert main(["generate", "--count", "3", "--seed", "7", "--out", str(tmp_path)]) == 0
    for k in range(3):
        written = (tmp_path / f"{k:04d}.xml").read_text()
        assert documents.generated_one(7, k).text == documents.pin_random(written)


# ---------------------------------------------------------------- whole runs against the fake oracle
def test_an_implementation_agrees_with_itself(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path) -> None:
    rc, report = _crosscheck(monkeypatch, capsys, ["--count", "6", "--seed", "3", "--caps", "qemu-0.12.1",
                                                   "--caps", "qemu-0.9.1", "--jobs", "2"])
    assert rc == 0, report["groups"]
    assert report["disagreements"] == 0 and not report["groups"] and not report["crashes"]
    cells = {(c["mode"], c["caps"]): c for c in report["table"]}
    assert set(cells) == {("xml2xml", "-"), ("argv", "qemu-0.12.1"), ("argv", "qemu-0.9.1"),
                          ("argv2xml", "qemu-0.12.1"), ("argv2xml", "qemu-0.9.1")}
    assert cells[("xml2xml", "-")]["compared"] == 6
    assert all(c["agree"] == c["compared"] for c in cells.values())


def test_a_difference_is_grouped_and_its_witness_minimized(monkeypatch, capsys, tmp_path: Path) -> None:
    files = _docs(tmp_path, ["a", "b", "c"])
    rc, report = _crosscheck(monkeypatch, capsys, ["--mode", "argv", "--caps", "qemu-0.9.1",
                                                   "--minimize-seconds", "30", *files],
                             sub=r" -usb=> -planted-option -usb")
    assert rc == 1
    [group] = report["groups"]
    assert group["kind"] == "argv: -planted-option only in libvirt"
    assert group["count"] == 3 and group["documents"] == 3 and group["caps"] == {"qemu-0.9.1": 3}
    assert group["witness_state"] == "minimized"
    assert len(group["witness"].splitlines()) < len(DOMAIN.splitlines()) / 2
    assert "-planted-option" in group["witness_libvirt"] and "-planted-option" not in group["witness_ours"]
    [cell] = report["table"]
    assert (cell["compared"], cell["agree"], cell["libvirt_built"], cell["identical"]) == (3, 0, 3, 0)
    # the option no family reads: its family is what the minimized witness keeps (no device)
    assert group["families"] == ["machine"] and group["attributed_by"].startswith("minimized witness")
    fam = {(c["family"], c["column"]): c for c in report["families"]["cells"]}
    assert (fam[("machine", "argv:qemu-0.9.1")]["compared"], fam[("machine", "argv:qemu-0.9.1")]["drift"]) == (3, 3)
    assert (fam[("disk", "argv:qemu-0.9.1")]["compared"], fam[("disk", "argv:qemu-0.9.1")]["drift"]) == (3, 0)


def test_a_crash_is_reported_apart_with_a_minimized_reproducer(monkeypatch, capsys, tmp_path: Path) -> None:
    files = _docs(tmp_path, ["a", "CRASHME", "b", "c"])
    rc, report = _crosscheck(monkeypatch, capsys, ["--mode", "argv", "--caps", "qemu-0.12.1", *files],
                             crash="CRASHME")
    assert rc == 1 and not report["groups"]
    [crash] = report["crashes"]
    assert crash["kind"] == "argv: libvirt crashes, we build" and crash["count"] == 1
    assert "CRASHME" in crash["witness"] and crash["witness_state"] == "minimized"
    assert "<disk" not in crash["witness"]
    assert crash["families"] == ["machine"]
    machine = next(c for c in report["families"]["cells"] if c["family"] == "machine")
    assert (machine["compared"], machine["drift"], machine["libvirt_crashes"]) == (3, 0, 1)
    [cell] = report["table"]
    assert (cell["compared"], cell["agree"], cell["libvirt_crashes"]) == (3, 3, 1)


def test_command_lines_given_are_read_back_and_minimized_by_option(monkeypatch, capsys, tmp_path: Path) -> None:
    """``*.args`` inputs go through argv2xml on both sides as they are (their own row of the
    table); a witness loses whole options, then words, then comma parts; --out keeps it as .args."""
    line = "LC_ALL=C HOME=/ /usr/bin/qemu -m 214 -name REFUSEME -nographic -usb -hda /a,b -net none\n"
    (tmp_path / "odd.args").write_text(line)
    (tmp_path / "plain.args").write_text(line.replace("REFUSEME", "plain"))
    _docs(tmp_path, ["a"])
    rc, report = _crosscheck(monkeypatch, capsys, ["--caps", "qemu-0.9.1", "--minimize-seconds", "30",
                                                   "--out", str(tmp_path / "w"), str(tmp_path)],
                             refuse="REFUSEME")
    assert rc == 1 and report["documents"] == 1 and report["command_lines"] == 2
    cells = {(c["mode"], c["caps"]): c for c in report["table"]}
    given = cells[("argv2xml", "given lines")]
    assert (given["compared"], given["agree"], given["libvirt_refused"]) == (2, 1, 1)
    assert cells[("argv2xml", "qemu-0.9.1")]["agree"] == 1
    [group] = report["groups"]
    assert group["kind"].startswith("argv2xml: we build, libvirt refuses")
    assert group["witness_state"] == "minimized" and group["witness"].endswith("\n")
    words = group["witness"].split()
    assert "REFUSEME" in words and "/usr/bin/qemu" in words and len(words) <= 3
    assert set(words) <= set(line.split())
    assert (tmp_path / "w" / "disagreement-001.args").read_text() == group["witness"]


def test_refusals_and_host_dependent_documents(monkeypatch, capsys, tmp_path: Path) -> None:
    files = _docs(tmp_path, ["REFUSE", "HOST", "c"])
    rc, report = _crosscheck(monkeypatch, capsys, ["--mode", "argv", "--caps", "qemu-0.12.1",
                                                   "--minimize-seconds", "0", *files],
                             refuse="REFUSE", host="HOST")
    [group] = report["groups"]
    assert group["kind"].startswith("argv: we build, libvirt refuses: internal error the fake oracle refuses")
    assert group["witness_state"] == "smallest seen"
    [cell] = report["table"]
    assert (cell["compared"], cell["libvirt_refused"], cell["refused_too"], cell["host_dependent"]) == (2, 1, 0, 1)


def test_rows_of_the_deviation_table_are_counted_as_deliberate(monkeypatch, capsys, tmp_path: Path) -> None:
    files = _docs(tmp_path, ["a", "b"])
    witness = tmp_path / "deviations" / "w.xml"
    witness.parent.mkdir()
    witness.write_text(DOMAIN.format(n=9, description="w"))
    table = tmp_path / "deviations.md"
    table.write_text("| id | rule | witness | run | libvirt | ours | why |\n| --- | --- | --- | --- | --- | --- | --- |\n"
                     "| no-kqemu | a rule | w.xml | argv qemu-0.9.1 | builds `-no-kqemu` | builds | a reason |\n")
    monkeypatch.setenv("FAKE_ORACLE_SUB", r" -usb=> -no-kqemu -usb")
    from virtconform.conformance.cli.main import main
    rc = main(["crosscheck", "--oracle", FAKE, "--json", "--deviations", str(table), "--mode", "argv",
               "--caps", "qemu-0.9.1", *files])
    report = json.loads(capsys.readouterr().out)
    assert rc == 0, report["groups"]
    assert report["deviation_rows"] == {"no-kqemu": ["argv: -no-kqemu only in libvirt"]}
    assert [(g["kind"], g["deviation"], g["count"]) for g in report["deliberate"]] == \
        [("argv: -no-kqemu only in libvirt", "no-kqemu", 2)]
    assert report["table"][0]["deliberate"] == 2 and report["table"][0]["compared"] == 0


def test_text_report_and_witness_files(monkeypatch, capsys, tmp_path: Path) -> None:
    from virtconform.conformance.cli.main import main
    monkeypatch.setenv("FAKE_ORACLE_SUB", r" -usb=> -no-kqemu -usb")
    rc = main(["crosscheck", "--oracle", FAKE, "--deviations", "none", "--mode", "argv", "--caps", "qemu-0.9.1",
               "--minimize-seconds", "0", "--out", str(tmp_path / "w"), *_docs(tmp_path, ["a"])])
    text = capsys.readouterr().out
    assert rc == 1
    assert "libvirt builds: identical" in text and "argv: -no-kqemu only in libvirt" in text
    assert (tmp_path / "w" / "disagreement-001.xml").read_text().startswith("<!--\nargv: -no-kqemu only in libvirt")


@pytest.mark.parametrize("args", [[], ["--count", "2", "x.xml"], ["--count", "-1"], ["--count", "1", "--caps", "nope"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    from virtconform.conformance.cli.main import main
    assert main(["crosscheck", "--oracle", FAKE, *args]) == 2


def test_an_oracle_that_cannot_run_exits_2(tmp_path: Path) -> None:
    from virtconform.conformance.cli.main import main
    assert main(["crosscheck", "--oracle", str(tmp_path / "missing"), *_docs(tmp_path, ["a"])]) == 2


# ---------------------------------------------------------------- libvirt's own code
@pytest.fixture
def oracle() -> str:
    cmd = oracle_command()
    if cmd is None:
        pytest.skip("../shared/oracle is not present")
    return str(cmd)


def test_batch_and_single_runs_of_the_oracle_agree(oracle: str, reference: Path) -> None:
    files = sorted(str(p) for p in (reference / "data").glob("*.xml"))[:12]
    o = protocol.Oracle(oracle)
    flags = {"drive", "name", "device", "chardev"}
    got = o.batch("argv", files, flags)
    for f in files[:6]:
        assert o.single("argv", f, flags) == got[f]


def test_reference_documents_against_libvirt(oracle: str, reference: Path, monkeypatch, capsys) -> None:
    from virtconform.conformance.cli.main import main
    files = sorted(str(p) for p in (reference / "data").glob("*.xml"))[:15]
    rc = main(["crosscheck", "--oracle", oracle, "--json", "--caps", "qemu-0.12.1", "--minimize-seconds", "3",
               *files])
    report = json.loads(capsys.readouterr().out)
    assert rc == (1 if report["groups"] or report["crashes"] else 0)
    xml = next(c for c in report["table"] if c["mode"] == "xml2xml")
    assert xml["compared"] + xml["deliberate"] == report["documents"] == len({Path(f).read_text() for f in files})
    for g in report["groups"]:
        assert g["witness"] and g["kind"].split(":")[0] in ("xml2xml", "argv", "argv2xml")


def test_a_row_covers_only_the_kinds_its_claims_name(tmp_path: Path) -> None:
    from virtconform.conformance.crosscheck.deviations import Claim, Row, covered_kinds
    row = Row("comma", "rule", tmp_path / "w.xml", "argv qemu-0.12.1",
              Claim.parse("builds `chardev=channel0,name=org.x,id=evil -usb`"),
              Claim.parse("builds `chardev=channel0,name=org.x,,id=evil -usb`"), "why")
    kinds = ["argv: -device virtserialport: nr= differs", "argv: -device virtserialport: name= differs",
             "argv: -device virtserialport: id= only in libvirt", "argv: we build, libvirt refuses: x"]
    assert covered_kinds(row, kinds) == kinds[1:3]
    refusing = Row("r", "rule", tmp_path / "w.xml", "xml2xml", Claim.parse("refuses"), Claim.parse("builds"), "why")
    assert covered_kinds(refusing, kinds) == ["argv: we build, libvirt refuses: x"]
    crashing = Row("c", "rule", tmp_path / "w.xml", "argv none", Claim.parse("crashes"), Claim.parse("builds"), "why")
    assert covered_kinds(crashing, ["argv: libvirt crashes, we build"]) == []


def test_a_refusal_row_covers_its_message_whatever_value_brought_it(tmp_path: Path) -> None:
    from virtconform.conformance.crosscheck.deviations import Claim, Deliberate, Row
    row = Row("nl", "rule", tmp_path / "w.xml", "argv qemu-0.12.1", Claim.parse("builds"),
              Claim.parse("refuses `cannot be passed to QEMU safely`"), "why")
    seen = "argv: we refuse, libvirt builds: cannot be passed to QEMU safely: command-line argument contains _"
    d = Deliberate({"nl": [seen]}, [row])
    assert d.row(seen) == "nl"
    assert d.row("argv: we refuse, libvirt builds: cannot be passed to QEMU safely: domain name contains _") == "nl"
    assert "xml2xml: we refuse, libvirt builds: cannot be passed to QEMU safely: x" not in d  # another mode
    assert "argv: we refuse, libvirt builds: unknown OS type" not in d
    assert "argv: we refuse, libvirt builds: x" not in Deliberate({"nl": []}, [row])  # a row no longer seen
    with pytest.raises(ValueError):
        Claim.parse("explodes")


# ---------------------------------------------------------------- value mutants
def test_value_mutants_replace_one_or_two_values_and_repeat() -> None:
    from lxml import etree

    from virtconform.conformance.generators.edgevalues import EDGE_VALUES, value_mutants
    text = DOMAIN.format(n=1, description="m")
    got = value_mutants(text, 20, seed=4)
    assert got == value_mutants(text, 20, seed=4) and got != value_mutants(text, 20, seed=5)
    assert len(got) == 20 and value_mutants("not xml", 3, 1) == []
    base = etree.fromstring(text.encode())

    def values(root: etree._Element) -> list[str]:
        return [v for el in root.iter() for v in (*el.attrib.values(), (el.text or "").strip() if len(el) == 0 else "")]

    for m in got:
        before, after = values(base), values(etree.fromstring(m.encode()))
        changed = [b for a, b in zip(before, after, strict=True) if a != b]
        assert 0 < len(changed) <= 2 or m.replace("\n", "") != text.replace("\n", "")
        assert all(c.strip() in {v.strip() for v in EDGE_VALUES} for c in changed)


def test_crosscheck_checks_the_mutants_of_each_document(tmp_path: Path, monkeypatch, capsys) -> None:
    files = _docs(tmp_path, ["a", "b"])
    rc, report = _crosscheck(monkeypatch, capsys, ["--mode", "xml2xml", "--mutants", "4", "--seed", "2", *files])
    assert rc == 0 and "4 value mutant(s) of each document" in report["source"]
    xml = next(c for c in report["table"] if c["mode"] == "xml2xml")
    assert report["documents"] > 2 and xml["compared"] == report["documents"] <= 10


def test_mutants_of_reference_documents_agree_with_libvirt(oracle: str, reference: Path, monkeypatch,
                                                          capsys) -> None:
    """Edges of C integers in real documents: drive numbers, USB and virtio-serial addresses,
    long disk names (printed with %d, wrapped in an int) were found this way."""
    from virtconform.conformance.cli.main import main
    files = [str(reference / "data" / f"{n}.xml") for n in (
        "disk-drive-boot-disk", "hostdev-usb-address", "channel-virtio", "disk-usb-device", "disk-many",
        "net-user", "graphics-vnc", "serial-tcp-telnet", "sound") if (reference / "data" / f"{n}.xml").is_file()]
    assert len(files) >= 6
    rc = main(["crosscheck", "--oracle", oracle, "--json", "--mutants", "25", "--seed", "7",
               "--hang-seconds", "3", "--minimize-seconds", "0", *files])
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] > len(files)
    assert rc == 0, [g["kind"] for g in report["groups"] + report["crashes"]]


def test_line_mutants_change_values_not_words() -> None:
    from virtconform.conformance.generators.edgevalues import line_mutants
    line = "LC_ALL=C HOME=/h /usr/bin/qemu -S -M pc -m 214 -drive file=/a,if=ide,bus=0,unit=0 -net none\n"
    got = line_mutants(line, 30, seed=1)
    assert got == line_mutants(line, 30, seed=1) and len(got) == 30
    words = line.split(" ")
    for m in got:
        mw = m.split(" ")
        assert len(mw) == len(words) and m.endswith("\n")
        changed = [i for i, (a, b) in enumerate(zip(words, mw, strict=True)) if a != b]
        assert len(changed) <= 2 and all(i > 2 and not words[i].startswith("-") for i in changed)
    assert line_mutants("/usr/bin/qemu -S\n", 3, 1) == []


def test_a_document_we_refuse_for_the_controller_bound_is_not_sent(tmp_path: Path, monkeypatch, capsys) -> None:
    """libvirt hangs on it (docs/deviations.md: implied-controllers); the fake would answer
    it in a moment, so an answer that is not 'libvirt hangs' means it was asked."""
    doc = tmp_path / "many.xml"
    doc.write_text(DOMAIN.format(n=1, description="x").replace("</devices>", "<disk type='file'><source file='/a'/>"
                                                               "<target dev='sdzzzzzz'/></disk></devices>"))
    rc, report = _crosscheck(monkeypatch, capsys, ["--mode", "xml2xml", "--mode", "argv", "--caps", "qemu-0.9.1",
                                                   str(doc)])
    kinds = [g["kind"] for g in report["groups"]]
    assert rc == 1 and kinds and all("libvirt hangs, we refuse" in k for k in kinds), kinds
