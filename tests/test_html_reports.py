"""`--html DIR` of schema coverage, crosscheck, check and fuzz, rendered in a real browser.

Each command writes its page; one headless Chromium (the Debian package, driven over the
DevTools protocol: tests/cdp.py) loads them all and the tests hold each page to:
no console error, no request but the page itself, no script; every chart an accessible
image with a table beside it; every in-page link landing somewhere; and the numbers read
from the rendered DOM equal to the report.json written beside the page (itself the
command's JSON report). A screenshot of each page is kept (pytest's tmp directory, and
$VIRTCONFORM_ARTEFACTS when set). Without Chromium the browser tests skip with the reason;
the pages are still written and checked as files.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cdp import Browser, find_chromium

from virtconform.conformance.cli.main import main
from virtconform.conformance.gatekeeping.lockfile import read_lock

ROOT = Path(__file__).resolve().parents[1]
FAKE = f"{sys.executable} {Path(__file__).with_name('fake_oracle.py')}"
#: a description no page may let through unescaped
HOSTILE = "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"q\" 'a'"
DOMAIN = """<domain type='qemu'>
  <name>guest-{n}</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db18{k:02d}</uuid>
  <description>{description}</description>
  <memory>219136</memory>
  <currentMemory>219136</currentMemory>
  <vcpu>1</vcpu>
  <os><type arch='i686' machine='pc'>hvm</type><boot dev='hd'/></os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu</emulator>
    <disk type='block' device='disk'>
      <source dev='/dev/HostVG/QEMUGuest{k}'/>
      <target dev='hda' bus='ide'/>
    </disk>
    <input type='mouse' bus='ps2'/>
  </devices>
</domain>
"""


# ---------------------------------------------------------------- the pages, made once

def _write(monkeypatch: pytest.MonkeyPatch, base: Path) -> dict[str, Path]:
    pages: dict[str, Path] = {}
    monkeypatch.chdir(ROOT)

    out = base / "coverage"
    assert main(["schema", "coverage", "corpus", "--html", str(out), "--json"]) == 0
    pages["coverage"] = out

    docs = base / "cross-docs"
    docs.mkdir()
    for k, name in enumerate(["plain", "CRASHME", "REFUSE"]):
        (docs / f"{name}.xml").write_text(DOMAIN.format(n=name, k=k, description=f"{name} {HOSTILE}"))
    monkeypatch.setenv("FAKE_ORACLE_CRASH", "CRASHME")
    monkeypatch.setenv("FAKE_ORACLE_REFUSE", "REFUSE")
    # a wrong implementation: an option of its own (no family reads it) and a disk on another bus
    monkeypatch.setenv("FAKE_ORACLE_SUB", " -usb=> -no-kqemu -usb\n,if=ide,=>,if=scsi,")
    out = base / "crosscheck"
    rc = main(["crosscheck", "--oracle", FAKE, "--deviations", "none", "--caps", "qemu-0.9.1", "--caps",
               "qemu-0.12.1", "--minimize-seconds", "0", "--jobs", "1", "--json", "--html", str(out),
               *sorted(map(str, docs.iterdir()))])
    for k in ("CRASH", "REFUSE", "SUB"):
        monkeypatch.delenv(f"FAKE_ORACLE_{k}")
    assert rc == 1
    pages["crosscheck"] = out

    repo = base / "repo"
    (repo / "domains").mkdir(parents=True)
    for name in ("chardevs.xml", "fat-dirs.xml", "mcast-cluster.xml", "scsi-floppy-cdrom.xml"):
        shutil.copy(ROOT / "corpus" / "domains" / name, repo / "domains" / name)
    (repo / "virtconform.toml").write_text('include = ["domains/*.xml"]\ntargets = ["qemu-0.12.1", "qemu-0.9.1"]\n')
    config = ["check", "--config", str(repo / "virtconform.toml"), "--jobs", "1", "--no-cache"]
    assert main([*config, "--update"]) == 0
    if shutil.which("git"):  # the base revision of the guest-ABI gate: the documents as locked
        env = os.environ | {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                            "GIT_COMMITTER_EMAIL": "t@t"}
        for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
            subprocess.run(["git", *cmd], cwd=repo, check=True, env=env, capture_output=True)
        config += ["--base", "HEAD"]
    drift = repo / "domains" / "chardevs.xml"
    drift.write_text(drift.read_text().replace("<vcpu>1</vcpu>", "<vcpu>2</vcpu>"))  # -smp 2
    (repo / "domains" / "broken.xml").write_text("<domain type='kvm'><name>x &amp; y</name></domain>\n")
    shutil.copy(ROOT / "corpus" / "domains" / "fat-dirs.xml", repo / "domains" / "new-one.xml")
    out = base / "check"
    assert main([*config, "--format", "json", "--output", str(base / "check.json"), "--html", str(out)]) == 1
    pages["check"] = out

    out = base / "fuzz"
    assert main(["fuzz", "--seconds", "2", "--seed", "5", "--property", "validates,argv-total,unique-ids",
                 "--out", str(base / "reproducers"), "--json", "--html", str(out)]) in (0, 1)
    pages["fuzz"] = out
    return pages


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("html")
    with pytest.MonkeyPatch.context() as mp:
        return _write(mp, base)


def report(pages: dict[str, Path], kind: str) -> dict[str, Any]:
    return json.loads((pages[kind] / "report.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- as files (no browser needed)

@pytest.mark.parametrize("kind", ["coverage", "crosscheck", "check", "fuzz"])
def test_each_page_is_one_self_contained_file(pages: dict[str, Path], kind: str) -> None:
    text = (pages[kind] / "index.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<html lang="en">' in text
    assert "<script" not in text.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", text)  # nothing from the network
    from html import unescape
    assert "Content-Security-Policy" in text and "default-src 'none'" in unescape(text)
    assert "@media print" in text


def test_the_family_matrix_as_a_file_says_the_jsons_numbers(pages: dict[str, Path]) -> None:
    """Without a browser too: every cell of the matrix device family x release, as written."""
    from lxml import html
    d = report(pages, "crosscheck")
    doc = html.fromstring((pages["crosscheck"] / "index.html").read_bytes())
    cells = {(td.get("data-family"), td.get("data-column")): td for td in doc.xpath("//table[@id='family-matrix']//td")}
    assert set(cells) == {(c["family"], c["column"]) for c in d["families"]["cells"]}
    for c in d["families"]["cells"]:
        td = cells[(c["family"], c["column"])]
        frac = td.xpath("string(.//span[@class='frac'])") or None
        assert frac == (f"{c['agree']:,}/{c['compared']:,}" if c["compared"] else None)
        assert td.xpath("string(.//a[@class='drift'])") == (f"{c['drift']:,} drift" if c["drift"] else "")


def test_the_check_json_beside_the_page_is_the_commands_json(pages: dict[str, Path]) -> None:
    beside = report(pages, "check")
    printed = json.loads((pages["check"].parent / "check.json").read_text())
    assert {k: v for k, v in beside.items() if k not in ("seconds", "locked_refusals", "root")} == \
        {k: v for k, v in printed.items() if k != "seconds"}


def test_an_unwritable_directory_is_a_usage_error(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    rc = main(["schema", "coverage", str(ROOT / "corpus" / "domains"), "--html", str(blocker / "sub")])
    assert rc == 2
    assert "cannot write the HTML report" in capsys.readouterr().err


# ---------------------------------------------------------------- in the browser

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    exe = find_chromium()
    if exe is None:
        pytest.skip("no Chromium: /usr/bin/chromium is absent (Debian package `chromium`; .ci/run installs it)")
    b = Browser(exe)
    yield b
    b.close()


QUERY = """(() => [...document.querySelectorAll(%s)].map(e => ({
  data: Object.assign({}, e.dataset), id: e.id, text: e.textContent.trim().replace(/\\s+/g, ' '),
  raw: e.textContent})))()"""

STRUCTURE = """(() => ({
  scripts: document.scripts.length,
  h1: document.querySelectorAll('h1').length,
  brokenAnchors: [...document.querySelectorAll('a[href^="#"]')].map(a => a.getAttribute('href').slice(1))
      .filter(id => !document.getElementById(decodeURIComponent(id))),
  tablesWithoutCaption: [...document.querySelectorAll('table')].filter(t => !t.caption).length,
  headersWithoutScope: [...document.querySelectorAll('th')].filter(th => !th.getAttribute('scope')).length,
  svgs: [...document.querySelectorAll('svg')].map(s => ({
      role: s.getAttribute('role'), title: !!s.querySelector(':scope > title'),
      desc: !!s.querySelector(':scope > desc'), labelled: s.getAttribute('aria-labelledby') || '',
      besideTable: !!s.closest('figure') && !!s.closest('figure').querySelector('table')})),
  localLinks: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
      .filter(h => !h.startsWith('#'))
}))()"""


def _num(text: str) -> int:
    return int(text.replace(",", ""))


def _artefacts(browser: Browser, visit: Any, kind: str, tmp: Path, top: int = 0) -> Path:
    shot = browser.screenshot(visit, tmp / f"{kind}.png", max_height=2400, top=top)
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("VIRTCONFORM_ARTEFACTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / f"html-{kind}.png")
    return shot


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def load(browser: Browser, pages: dict[str, Path], kind: str, shots: Path) -> Any:
    page = pages[kind] / "index.html"
    visit = browser.open(page)
    assert visit.errors == [], visit.errors
    assert visit.requests == [page.resolve().as_uri()], visit.requests  # the page, nothing else
    s = browser.evaluate(visit, STRUCTURE)
    assert s["scripts"] == 0 and s["h1"] == 1
    assert s["brokenAnchors"] == []
    assert s["tablesWithoutCaption"] == 0 and s["headersWithoutScope"] == 0
    assert s["svgs"], "every page has a chart"
    for svg in s["svgs"]:
        assert svg["role"] == "img" and svg["title"] and svg["desc"] and svg["labelled"], svg
        assert svg["besideTable"], "each chart has its numbers in a table beside it"
    for href in s["localLinks"]:  # links to local files (documents, report.json) resolve
        from urllib.parse import unquote
        assert (page.parent / unquote(href)).exists(), href
    _artefacts(browser, visit, kind, shots)
    return visit


def q(browser: Browser, visit: Any, selector: str) -> list[dict[str, Any]]:
    return browser.evaluate(visit, QUERY % json.dumps(selector))


def test_coverage_page(browser: Browser, pages: dict[str, Path], shots: Path) -> None:
    d = report(pages, "coverage")
    v = load(browser, pages, "coverage", shots)
    keys = {e["data"]["key"]: _num(e["text"]) for e in q(browser, v, "[data-key]")}
    assert keys == {"documents": d["documents"], "exercised": d["exercised"], "patterns": d["patterns"]}
    by_kind = {(e["data"]["kind"], e["data"]["col"]): _num(e["text"]) for e in q(browser, v, "#by-kind td[data-kind]")}
    for kind, c in d["by_kind"].items():
        assert by_kind[(kind, "exercised")] == c["exercised"] and by_kind[(kind, "patterns")] == c["patterns"]
        assert by_kind[(kind, "missing")] == c["patterns"] - c["exercised"]
    # every uncovered pattern, with its path, in the list below the tree
    rows = q(browser, v, "#uncovered-table tbody tr")
    listed = [r["raw"] for r in rows]
    assert len(rows) == len(d["missing"])
    for m, text in zip(d["missing"], listed, strict=True):
        assert m["path"] in text and m["kind"] in text and (m["detail"] or "–") in text
    assert {(m["kind"], m["path"], m["detail"]) for m in d["missing"]} == \
        {(i["kind"], i["path"], i["detail"]) for i in d["items"] if not i["documents"]}
    # the schema's every element, attribute and value is on the page (exercised or listed missing)
    from lxml import etree
    rng = "{http://relaxng.org/ns/structure/1.0}"
    declared: set[tuple[str, str]] = set()
    for e in etree.parse(d["schema"], etree.XMLParser(resolve_entities=False, no_network=True)).iter(
            f"{rng}element", f"{rng}attribute", f"{rng}value"):
        kind = etree.QName(e).localname
        name = (e.text or "").strip() if kind == "value" else e.get("name") or e.findtext(f"{rng}name")
        declared.add((kind, name))
    shown = browser.evaluate(v, "[...document.querySelectorAll('.tree li[data-kind]')].map(li => "
                                "[li.dataset.kind, li.dataset.path, li.dataset.detail])")
    on_page = {(k, detail if k == "value" else path.rsplit("/", 1)[-1].lstrip("@")) for k, path, detail in shown}
    assert declared <= on_page, sorted(declared - on_page)
    # the tree: every pattern once, its document count as in the report
    tree = {(e["data"]["kind"], e["data"]["path"], e["data"]["detail"]): e for e in q(browser, v, ".tree li[data-kind]")}
    items = {(i["kind"], i["path"], i["detail"]): i for i in d["items"]}
    assert set(items) <= set(tree)
    counts = browser.evaluate(v, """Object.fromEntries([...document.querySelectorAll('.tree li[data-kind]')].map(li => {
        const own = li.querySelector(':scope > .docs .count, :scope > details > summary .docs .count');
        return [JSON.stringify([li.dataset.kind, li.dataset.path, li.dataset.detail]), own ? own.textContent : '0'];
    }))""")
    for key, item in items.items():
        assert _num(counts[json.dumps(list(key), separators=(",", ":"), ensure_ascii=False)].split()[0]) == item["documents"], key


def test_crosscheck_page(browser: Browser, pages: dict[str, Path], shots: Path) -> None:
    d = report(pages, "crosscheck")
    assert d["groups"] and d["crashes"], "the run was made to disagree and to crash"
    v = load(browser, pages, "crosscheck", shots)
    keys = {e["data"]["key"]: _num(e["text"]) for e in q(browser, v, "[data-key]")}
    assert keys == {"documents": d["documents"], "disagreements": d["disagreements"],
                    "crashes": sum(g["count"] for g in d["crashes"])}
    table = {(e["data"]["mode"], e["data"]["caps"], e["data"]["col"]): e["text"]
             for e in q(browser, v, "#agreement td[data-col]")}
    for c in d["table"] + [dict(t, caps="all") for t in d["totals"]]:
        key = (c["mode"], c["caps"])
        assert table[(*key, "agree")] == f"{c['agree']:,}/{c['compared']:,}"
        assert table[(*key, "identical")] == f"{c['identical']:,}/{c['libvirt_built']:,}"
        assert table[(*key, "refused")] == f"{c['refused_too']:,}/{c['libvirt_refused']:,}"
        assert _num(table[(*key, "crashes")]) == c["libvirt_crashes"]
    chart = browser.evaluate(v, "[...document.querySelectorAll('#chart-matrix text')].map(t => t.textContent)")
    for c in d["table"]:
        assert f"{c['agree']:,}/{c['compared']:,}" in chart
    # a cell with disagreements links to its kinds, each kind to its group and minimized witness
    links = browser.evaluate(v, """[...document.querySelectorAll('#chart-matrix a')].map(a => a.getAttribute('href'))""")
    differing = [c for c in d["table"] if c["compared"] > c["agree"]]
    assert len(links) == len(differing)
    groups = q(browser, v, "article.group[id^='g-']")
    assert [g["data"]["kind"] for g in groups] == [g["kind"] for g in d["groups"]]
    for g, el in zip(d["groups"], groups, strict=True):
        wit = browser.evaluate(v, f"document.querySelector('#{el['id']} pre[aria-label=\"the witness document\"]')"
                                  ".textContent")
        assert wit == g["witness"]  # escaped on the page, the same text in the browser
        nums = {e["data"]["col"]: _num(e["text"]) for e in q(browser, v, f"#{el['id']} [data-col]")}
        assert nums == {"count": g["count"], "documents": g["documents"]}
    crashes = q(browser, v, "article.group[id^='c-']")
    assert [c["data"]["kind"] for c in crashes] == [c["kind"] for c in d["crashes"]]
    assert browser.evaluate(v, "document.querySelectorAll('script, [onerror], [onload]').length") == 0
    # on screen a cell's list of kinds shows when its cell is clicked; on paper all of them show
    shown = "getComputedStyle(document.querySelector('.cellkinds')).display"
    assert browser.evaluate(v, shown) == "none"
    browser.call("Emulation.setEmulatedMedia", v.session, media="print")
    assert browser.evaluate(v, shown) == "block"
    assert browser.evaluate(v, "getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    browser.call("Emulation.setEmulatedMedia", v.session, media="")
    browser.evaluate(v, f"location.hash = {json.dumps(links[0])}")
    assert browser.evaluate(v, shown.replace(".cellkinds", links[0])) == "block"


FAMILY_CELLS = """[...document.querySelectorAll('#family-matrix td[data-family]')].map(td => {
  const t = s => { const e = td.querySelector(s); return e ? e.textContent : null; };
  const drift = td.querySelector('a.drift, a.crash');
  return {family: td.dataset.family, column: td.dataset.column, frac: t('.frac'), share: t('.share'),
          drift: t('a.drift'), crash: t('a.crash'), href: drift ? drift.getAttribute('href') : null,
          colour: getComputedStyle(td).backgroundColor};
})"""


def test_crosscheck_page_family_matrix(browser: Browser, pages: dict[str, Path], shots: Path) -> None:
    """The matrix device family x release: the registry's families, the numbers of the JSON
    report, drift attributed to a family and a click away from its witnesses."""
    from virtconform.engine.qemu.registry import FAMILIES
    d = report(pages, "crosscheck")
    fm = d["families"]
    v = browser.open(pages["crosscheck"] / "index.html")
    assert v.errors == []
    rows = browser.evaluate(v, "[...document.querySelectorAll('#family-matrix tbody th[data-family]')]"
                               ".map(th => th.dataset.family)")
    assert rows == [r["family"] for r in fm["rows"]]
    assert rows[:len(FAMILIES)] == [f.name for f in FAMILIES]  # the registry's families, in its order
    heads = browser.evaluate(v, "[...document.querySelectorAll('#family-matrix thead th[data-column]')]"
                                ".map(th => th.dataset.column)")
    assert heads == [c["id"] for c in fm["columns"]]
    assert heads == ["xml2xml", "argv:qemu-0.9.1", "argv:qemu-0.12.1", "argv2xml"]
    shown = {(c["family"], c["column"]): c for c in browser.evaluate(v, FAMILY_CELLS)}
    assert len(shown) == len(fm["cells"]) == len(rows) * len(heads)
    for c in fm["cells"]:
        p = shown[(c["family"], c["column"])]
        assert p["frac"] == (f"{c['agree']:,}/{c['compared']:,}" if c["compared"] else None), c
        assert p["drift"] == (f"{c['drift']:,} drift" if c["drift"] else None), c
        assert (p["crash"] is not None) == bool(c["libvirt_crashes"]), c
        if c["drift"]:
            assert p["share"] != "100.0%"  # a drifting cell never reads as full agreement
    # and its colour says so too: full agreement, drift and nothing compared look apart
    cells = {(c["family"], c["column"]): c for c in fm["cells"]}
    colours = {what: {p["colour"] for k, p in shown.items() if test(cells[k])} for what, test in (
        ("full", lambda c: c["compared"] and not c["drift"]), ("drift", lambda c: c["drift"]),
        ("none", lambda c: not c["compared"]))}
    assert len(colours["full"]) == 1 and len(colours["none"]) == 1
    assert colours["full"].isdisjoint(colours["drift"] | colours["none"]) and colours["drift"]
    # the machine's row counts every comparison of its column (every document has the machine)
    for col in fm["columns"]:
        mode_cells = [t for t in d["table"] if t["mode"] == col["mode"] and col["caps"] in ("-", "all", t["caps"])]
        machine = shown[("machine", col["id"])]
        assert machine["frac"].split("/")[1].replace(",", "") == str(sum(t["compared"] for t in mode_cells))
    # a disagreement is attributed to a family: the planted disk bus by its option
    drive = next(g for g in d["groups"] if g["kind"] == "argv: -drive: if= differs")
    assert drive["families"] == ["disk"] and drive["attributed_by"] == "option -drive"
    assert shown[("disk", "argv:qemu-0.9.1")]["drift"] is not None
    for g in d["groups"] + d["crashes"]:
        assert g["families"], g["kind"]
    articles = browser.evaluate(v, "[...document.querySelectorAll('article.group')].map(a => "
                                   "[a.dataset.kind, (a.querySelector('.families') || {}).textContent])")
    assert articles == [[g["kind"], ", ".join(g["families"])] for g in d["groups"] + d["crashes"]]
    # each drifting cell: a panel with the kinds attributed there, linked to their groups
    by_kind = {g["kind"]: g for g in d["groups"] + d["crashes"]}
    for c in fm["cells"]:
        if not c["kinds"]:
            continue
        pid = shown[(c["family"], c["column"])]["href"]
        rows = browser.evaluate(v, f"[...document.querySelectorAll('{pid} tbody tr')].map(tr => "
                                   "[tr.cells[1].textContent, tr.cells[2].textContent, "
                                   "document.getElementById(tr.querySelector('a').getAttribute('href').slice(1))"
                                   ".dataset.kind])")
        assert [(k, int(n.replace(",", ""))) for k, n, _ in rows] == list(c["kinds"].items())
        assert all(k == target for k, _, target in rows)
    # a click on a drifting cell shows its kinds and their minimized witnesses
    cell = shown[("disk", "argv:qemu-0.9.1")]
    panel = cell["href"]
    assert browser.evaluate(v, f"getComputedStyle(document.querySelector('{panel}')).display") == "none"
    browser.evaluate(v, f"location.hash = {json.dumps(panel)}")
    assert browser.evaluate(v, f"getComputedStyle(document.querySelector('{panel}')).display") == "block"
    first = browser.evaluate(v, f"document.querySelector('{panel} details[open] pre').textContent")
    assert first == by_kind[next(iter(cells[("disk", "argv:qemu-0.9.1")]["kinds"]))]["witness"]
    top = browser.evaluate(v, f"Math.max(0, document.querySelector('{panel}').offsetTop - 700)")
    _artefacts(browser, v, "crosscheck-cell", shots, top=int(top))
    # printed on A4 (about 718 CSS pixels between the margins), nothing runs off the page
    paper = browser.open(pages["crosscheck"] / "index.html", width=718)
    browser.call("Emulation.setEmulatedMedia", paper.session, media="print")
    wide = browser.evaluate(paper, "[...document.querySelectorAll('main *')].filter(e => "
                                   "e.getBoundingClientRect().right > 730).map(e => e.tagName + '#' + e.id)")
    assert wide == []


def test_check_page(browser: Browser, pages: dict[str, Path], shots: Path) -> None:
    d = report(pages, "check")
    v = load(browser, pages, "check", shots)
    lock = read_lock(pages["check"].parent / "repo" / "virtconform.lock")
    cells = {(e["data"]["doc"], e["data"]["target"]): e["data"]["state"]
             for e in q(browser, v, "td[data-doc][data-target]") if e["data"]["target"] != "guest ABI"}
    expected: dict[tuple[str, str], str] = {}
    for r in d["results"]:
        checks = {c["name"]: c for c in r["checks"]}
        if "valid" not in checks:
            continue
        for t in d["targets"]:
            c = checks.get(f"target {t}")
            if checks["valid"]["status"] == "failed":
                expected[(r["document"], t)] = "invalid"
            elif c["status"] == "failed":
                expected[(r["document"], t)] = "unlocked" if "not in the lock" in c["message"] else "drift"
            else:
                expected[(r["document"], t)] = "refused" if lock[(r["document"], t)][0].startswith("refused: ") \
                    else "pass"
    assert cells == expected
    linked = browser.evaluate(v, "[...document.querySelectorAll('table.matrix tbody th a')].map(a => a.textContent)")
    assert sorted(linked) == sorted({doc for doc, _ in expected})  # each document links to its file
    assert {cells[("domains/broken.xml", t)] for t in d["targets"]} == {"invalid"}
    assert {cells[("domains/chardevs.xml", t)] for t in d["targets"]} == {"drift"}
    assert {cells[("domains/new-one.xml", t)] for t in d["targets"]} == {"unlocked"}
    per_target = {(e["data"]["target"], e["data"]["state"]): _num(e["text"])
                  for e in q(browser, v, "#per-target td[data-target]")}
    for t in d["targets"]:
        for state in set(expected.values()):
            assert per_target.get((t, state), 0) == sum(1 for (_, tt), s in expected.items() if tt == t and s == state)
    keys = {e["data"]["key"]: _num(e["text"]) for e in q(browser, v, "[data-key]")}
    assert keys == {"documents": d["documents"], "targets": len(d["targets"]), "failed": len(d["failed"])}
    findings = q(browser, v, "article[data-check]")
    failed = [(r["document"], c) for r in d["results"] for c in r["checks"] if c["status"] == "failed"]
    assert [(f["data"]["doc"], f["data"]["check"]) for f in findings] == [(doc, c["name"]) for doc, c in failed]
    for f, (_, c) in zip(findings, failed, strict=True):
        assert c["message"] in f["raw"]
        for line in c.get("details", []):
            assert line in f["raw"]  # the diff, line by line


def test_check_page_guest_abi_column(browser: Browser, pages: dict[str, Path], shots: Path) -> None:
    """With --base, the matrix has a guest-ABI column: each cell the gate's verdict on the
    document against the base revision, a failing one linked to its finding."""
    d = report(pages, "check")
    checks = {r["document"]: {c["name"]: c for c in r["checks"]} for r in d["results"]}
    checks = {doc: cs for doc, cs in checks.items() if "valid" in cs}
    if not any("guest ABI" in cs for cs in checks.values()):
        pytest.skip("git is not installed: no base revision, so no guest-ABI gate")
    v = browser.open(pages["check"] / "index.html")
    assert v.errors == []
    heads = browser.evaluate(v, "[...document.querySelector('table.matrix').tHead.rows[0].cells]"
                                ".map(th => th.textContent)")
    assert heads == ["document", *d["targets"], "guest ABI"]
    cells = {e["data"]["doc"]: e for e in q(browser, v, "td[data-doc][data-target='guest ABI']")}
    state = {"passed": "pass", "failed": "changed", "skipped": "skipped"}
    expected = {doc: "invalid" if cs["valid"]["status"] == "failed" else
                "unchecked" if cs["guest ABI"]["message"].startswith("guest ABI NOT CHECKED") else
                state[cs["guest ABI"]["status"]] for doc, cs in checks.items()}
    assert {doc: e["data"]["state"] for doc, e in cells.items()} == expected
    # the vCPU count changed since the base: the guest sees another machine
    assert expected["domains/chardevs.xml"] == "changed"
    assert expected["domains/new-one.xml"] == "pass" and "new since" in checks["domains/new-one.xml"]["guest ABI"]["message"]
    assert expected["domains/broken.xml"] == "invalid" and expected["domains/fat-dirs.xml"] == "pass"
    for doc in [doc for doc, st in expected.items() if st == "changed"]:
        href = browser.evaluate(v, f"document.querySelector('td[data-target=\"guest ABI\"][data-doc="
                                   f"{json.dumps(doc)}] a').getAttribute('href')")
        article = q(browser, v, href)[0]
        assert article["data"] == {"doc": doc, "check": "guest ABI"}
        assert checks[doc]["guest ABI"]["message"] in article["raw"]
    per = {e["data"]["state"]: _num(e["text"]) for e in q(browser, v, "#per-target td[data-target='guest ABI']")}
    assert {s: n for s, n in per.items() if n} == {s: list(expected.values()).count(s) for s in set(expected.values())}


def test_fuzz_page(browser: Browser, pages: dict[str, Path], shots: Path) -> None:
    d = report(pages, "fuzz")
    [samples] = d["timeline"]
    assert samples and samples[-1]["examples"] == d["examples"]
    v = load(browser, pages, "fuzz", shots)
    keys = {e["data"]["key"]: e["text"] for e in q(browser, v, "[data-key]")}
    assert _num(keys["examples"]) == d["examples"]
    assert float(keys["examples_per_second"].replace(",", "")) == d["examples_per_second"]

    def column(table: str) -> list[tuple[float, float]]:
        rows = browser.evaluate(v, f"[...document.querySelectorAll('#{table} tbody tr')]"
                                   ".map(tr => [...tr.cells].map(c => c.textContent))")
        return [(float(a), float(b.replace(",", ""))) for a, b in rows]

    t0, e0, rates = 0.0, 0, []
    for s in samples:
        if s["seconds"] > t0:
            rates.append((round(s["seconds"], 1), round((s["examples"] - e0) / (s["seconds"] - t0), 1)))
            t0, e0 = s["seconds"], s["examples"]
    assert column("table-throughput") == rates
    assert column("table-coverage") == [(round(s["seconds"], 1), s["coverage"]) for s in samples]
    assert column("table-failures") == [(round(s["seconds"], 1), s["failures"]) for s in samples]
    points = browser.evaluate(v, "document.querySelector('#chart-coverage polyline').getAttribute('points')")
    assert len(points.split()) == len(samples)
    per = {(e["data"]["property"], c["data"]["col"]): _num(c["text"])
           for e in q(browser, v, "#per-property th[data-property]")
           for c in q(browser, v, f"#per-property tr:has(th[data-property='{e['data']['property']}']) td[data-col]")}
    for name, p in d["per_property"].items():
        for col in ("examples", "skipped", "failures", "replayed"):
            assert per[(name, col)] == p[col], (name, col)
    assert len(q(browser, v, "article[data-property]")) == len(d["failed"])


def test_html_is_for_property_campaigns(tmp_path: Path, capsys) -> None:
    assert main(["fuzz", "--replay", str(tmp_path), "--html", str(tmp_path / "h")]) == 2
    assert "--html" in capsys.readouterr().err and not (tmp_path / "h").exists()
