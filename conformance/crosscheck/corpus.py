"""The project's corpus says what libvirt 0.8.3 does: its expectations come from libvirt's own code.

    python -m virtconform.conformance.crosscheck.corpus [--oracle CMD] [--update] [CORPUS]

Without ``--update``: every expectation of ``corpus/manifest.json`` is checked against the
oracle (exit 1 when one is not what libvirt does). With ``--update``: the expectations are
rewritten from the oracle's answers — the ``.args`` files and expected XML byte for byte,
refusals with libvirt's message, the clock time of a command line that depends on it
(``clock_epoch``) — and every case where our engine does otherwise gets ``"xfail"`` with the
kinds of difference measured (``tests/test_corpus.py`` marks it expected-to-fail, strictly:
once the engine is fixed the mark must go, by running this again).

Where libvirt's answer depends on the host (a NIC that opens a tap device), the oracle does
not run the document; such a case keeps our answer and names the deviation row that says so.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from virtconform.conformance.suites.runner import Case, load_cases
from virtconform.conformance.suites.shared import REPO, oracle_command

from . import deviations
from .answers import HOST, OK, REFUSED, Answer
from .compare import judge
from .ours import HOST_QEMU_CONF, Ours
from .protocol import Oracle

CORPUS = REPO / "corpus"
_RTC_DATE = re.compile(r"base=\d+-\d+-\d+T\d+:\d+:\d+")


@dataclass
class Libvirt:
    """libvirt's answer for a case, and the second it was given (for clock-dependent lines)."""

    answer: Answer
    epoch: int


def runnable(case: Case) -> bool:
    """Whether the oracle's host is the case's: same qemu.conf, no domain id or migration."""
    spec = case.spec
    return (spec.get("qemu_conf") or HOST_QEMU_CONF) == HOST_QEMU_CONF and \
        spec.get("domid") is None and not spec.get("migrate_from")


def document(case: Case) -> Path:
    return case.data / f"{case.name}.xml"


def ask_libvirt(oracle: Oracle, case: Case) -> Libvirt:
    """The oracle's answer for one case, within one second of the clock (retried otherwise)."""
    from virtconform.engine.caps.flags import resolve
    mode = "xml2xml" if case.section == "xml2xml" else "argv"
    flags = resolve(case.spec["caps"]) if mode == "argv" else None
    for _ in range(5):
        before = int(time.time())
        answer = oracle.single(mode, str(document(case)), flags)
        if int(time.time()) == before:
            return Libvirt(answer, before)
    return Libvirt(answer, before)


def expected(case: Case) -> Answer:
    """What the corpus says for a case."""
    spec = case.spec
    if "refuse" in spec:
        return Answer(REFUSED, spec["refuse"])
    if "expect" in spec:
        return Answer(OK, (case.suite / spec["expect"]).read_text(encoding="utf-8"))
    return Answer(OK, document(case).read_text(encoding="utf-8"))


def holds(case: Case, libvirt: Libvirt) -> str | None:
    """None when the corpus says what libvirt answered, else what differs."""
    want = expected(case)
    got = libvirt.answer
    if "deviation" in case.spec:
        return None if got.status == HOST else f"libvirt no longer depends on the host here: {got.status}"
    if got.status == HOST:
        return "libvirt's answer depends on the host: the case needs a deviation row"
    if want.status != got.status:
        return f"the corpus says {want.status}, libvirt {got.status}: {got.text.strip()[:300]}"
    if got.status == REFUSED or want.text == got.text:
        return None
    if "clock_epoch" in case.spec and _RTC_DATE.sub("base=DATE", want.text) == _RTC_DATE.sub("base=DATE", got.text):
        return None  # the date is that of the run: the expectation holds its own clock_epoch's
    return "; ".join(judge(case.section if case.section == "xml2xml" else "argv", want, got).kinds)


def update(corpus: Path, oracle: Oracle, log: Any = print) -> dict[str, Any]:
    """Rewrite the corpus' expectations from the oracle; mark where our engine differs."""
    manifest_path = corpus / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    rows = deviations.rows() if deviations.TABLE.is_file() else []
    host_row = next((r.id for r in rows if r.libvirt.outcome == "depends"), None)
    cases = load_cases(corpus, ["xml2xml", "xml2argv"])
    specs = iter([s for sec in ("xml2xml", "xml2argv") for s in manifest.get(sec, [])])
    for case in cases:
        spec = next(specs)
        if not runnable(case):
            log(f"{case.label}: the oracle's host differs from the case's; left as it is")
            continue
        libvirt = ask_libvirt(oracle, case)
        a = libvirt.answer
        old = spec.get("expect")
        for key in ("expect", "refuse", "xfail", "clock_epoch", "deviation"):
            spec.pop(key, None)
        mine = our_answer(case, libvirt.epoch)
        if a.status == HOST:
            if host_row is None:
                raise SystemExit(f"{case.label}: libvirt's answer depends on the host and no deviation row "
                                 "(libvirt `depends`) says so")
            spec["deviation"] = host_row
            if _RTC_DATE.search(mine.text):
                spec["clock_epoch"] = libvirt.epoch
            _write_expectation(corpus, case, spec, mine, old)
            log(f"{case.label}: host-dependent in libvirt (deviation {host_row}); ours kept")
            continue
        if a.status not in (OK, REFUSED):
            raise SystemExit(f"{case.label}: libvirt {a.status}: {a.text}")
        if a.status == OK and _RTC_DATE.search(a.text):
            spec["clock_epoch"] = libvirt.epoch
        _write_expectation(corpus, case, spec, a, old)
        verdict = judge("xml2xml" if case.section == "xml2xml" else "argv", mine, a)
        if not verdict.agrees:
            spec["xfail"] = "engine differs from libvirt 0.8.3: " + "; ".join(verdict.kinds)
        log(f"{case.label}: libvirt {a.status}; ours {'agrees' if verdict.agrees else spec['xfail']}")
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def our_answer(case: Case, now: int) -> Answer:
    """Our engine's answer for a case (at the clock time ``now``), in libvirt's form."""
    from virtconform.engine.caps.flags import resolve
    text = document(case).read_text(encoding="utf-8")
    if case.section == "xml2xml":
        return Ours().xml2xml(text, str(document(case)))
    _, built, _ = Ours().argv(text, [("case", frozenset(resolve(case.spec["caps"])))], now=now,
                              path=str(document(case)))
    return built["case"]


def _write_expectation(corpus: Path, case: Case, spec: dict[str, Any], a: Answer, old: str | None) -> None:
    if a.status == REFUSED:
        spec["refuse"] = a.text.strip()
        return
    if case.section == "xml2xml":
        if a.text == document(case).read_text(encoding="utf-8"):
            return
        rel = old or f"expected/{case.name}.xml"
    else:
        rel = old or f"args/{case.name}.{_caps_label(spec['caps'])}.args"
    (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
    (corpus / rel).write_text(a.text, encoding="utf-8")
    spec["expect"] = rel


def _caps_label(caps: str) -> str:
    from virtconform.engine.caps.flags import NAMED_SETS
    return caps if caps in NAMED_SETS else re.sub(r"[^A-Za-z0-9.]+", "-", caps)


def _prune(corpus: Path, manifest: dict[str, Any]) -> list[Path]:
    """Expectation files no case names any more."""
    named = {s.get("expect") for sec in ("xml2xml", "xml2argv") for s in manifest.get(sec, [])}
    return [p for d in ("args", "expected") for p in sorted((corpus / d).glob("*"))
            if f"{d}/{p.name}" not in named]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m virtconform.conformance.crosscheck.corpus",
                                 description="Check (or --update) the corpus' expectations against libvirt's own code.")
    ap.add_argument("corpus", nargs="?", default=str(CORPUS))
    ap.add_argument("--oracle", help="the oracle command (default: ../shared/oracle/libvirt083-oracle)")
    ap.add_argument("--update", action="store_true", help="rewrite the expectations from the oracle")
    args = ap.parse_args(argv)
    command = args.oracle or oracle_command()
    if command is None:
        print("corpus: no oracle (../shared/oracle/libvirt083-oracle or --oracle)", file=sys.stderr)
        return 2
    oracle = Oracle(str(command))
    corpus = Path(args.corpus)
    if args.update:
        manifest = update(corpus, oracle)
        for stale in _prune(corpus, manifest):
            stale.unlink()
            print(f"removed {stale}")
        return 0
    bad = 0
    for case in load_cases(corpus, ["xml2xml", "xml2argv"]):
        if not runnable(case):
            continue
        why = holds(case, ask_libvirt(oracle, case))
        if why:
            bad += 1
            print(f"{case.label}: {why}")
    print(f"corpus: {bad} expectation(s) differ from libvirt 0.8.3" if bad else "corpus: every expectation is libvirt's")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
