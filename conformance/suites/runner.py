"""One runner for manifest suites: the reference suite in ../shared and the project's corpus/.

A suite is a directory with ``manifest.json`` holding sections ``xml2argv``,
``xml2xml``, ``argv2xml`` and ``help`` (the reference suite's shape). The
project's corpus adds two optional keys: a top-level ``"data"`` naming the
folder of the documents (default ``data``) and, per xml2argv case, ``"caps"``
(a capability spec such as ``qemu-0.12.1``) and ``"expect"`` (the expected
``.args`` file, relative to the suite) so one domain can have a command line
per capability set, or ``"refuse"`` (libvirt's reason for refusing: any refusal
of ours holds it, each implementation words its reasons its own way). xml2xml
cases may name an ``"expect"`` file when the document is not already in
libvirt's canonical form, or ``"refuse"``. A case marked ``"xfail"`` (the
reason) is one where the engine is known to do otherwise than libvirt: its
failure is expected, its success reported. Everything runs in-process through the engine.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from virtconform.engine.errors import VirtconformError

from .shared import blank

SECTIONS = ("xml2argv", "xml2xml", "argv2xml", "help")


@dataclass
class Case:
    section: str
    name: str
    spec: dict[str, Any]
    suite: Path
    data: Path

    @property
    def label(self) -> str:
        extra = self.spec.get("caps") or self.spec.get("migrate_from")
        return f"{self.section}:{self.name}" + (f"@{extra}" if extra else "")


@dataclass
class Outcome:
    case: Case
    ok: bool
    got: str = ""
    want: str = ""
    error: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self) -> dict[str, tuple[int, int]]:
        out: dict[str, list[int]] = {}
        for o in self.outcomes:
            c = out.setdefault(o.case.section, [0, 0])
            c[1] += 1
            c[0] += int(o.ok)
        return {k: (v[0], v[1]) for k, v in out.items()}

    @property
    def failures(self) -> list[Outcome]:
        """Cases that fail, and cases marked ``"xfail"`` that no longer do."""
        return [o for o in self.outcomes if o.ok == ("xfail" in o.case.spec)]

    @property
    def expected_failures(self) -> list[Outcome]:
        """Cases marked ``"xfail"`` (the engine is known to differ from libvirt there) that fail."""
        return [o for o in self.outcomes if not o.ok and "xfail" in o.case.spec]


def load_cases(suite: str | Path, sections: list[str] | None = None) -> list[Case]:
    suite = Path(suite)
    manifest = json.loads((suite / "manifest.json").read_text())
    data = suite / manifest.get("data", "data")
    out = []
    for sec in sections or SECTIONS:
        for spec in manifest.get(sec, []):
            out.append(Case(sec, spec["name"], spec, suite, data))
    return out


class Runner:
    """Runs cases against the engine with one profile (default: libvirt-test)."""

    def __init__(self, profile: str = "libvirt-test") -> None:
        from virtconform.engine.caps.profiles import get_profile
        self.profile = get_profile(profile)

    # --- sections
    def xml2xml(self, case: Case) -> tuple[str, str]:
        from virtconform.engine.loader import load_domain
        f = case.data / f"{case.name}.xml"
        if "refuse" in case.spec:
            try:
                return load_domain(str(f), self.profile.capabilities).to_xml(), "refused"
            except VirtconformError:
                return "refused", "refused"
        expect = case.suite / case.spec["expect"] if "expect" in case.spec else f
        return load_domain(str(f), self.profile.capabilities).to_xml(), expect.read_text()

    def xml2argv(self, case: Case) -> tuple[str, str]:
        from virtconform.engine.caps.flags import Flags, resolve
        from virtconform.engine.caps.qemuconf import QemuConf
        from virtconform.engine.loader import load_domain
        from virtconform.engine.qemu.builder import build_command_line
        spec = case.spec
        flags = resolve(spec["caps"]) if "caps" in spec else Flags(spec.get("flags", []))
        conf = QemuConf.from_mapping(spec.get("qemu_conf") or {})

        def build() -> str:
            dom = load_domain(str(case.data / f"{case.name}.xml"), self.profile.capabilities)
            return build_command_line(dom, flags, profile=self.profile, conf=conf, domid=spec.get("domid"),
                                      migrate_from=spec.get("migrate_from"), now=spec.get("clock_epoch")).render()
        if "refuse" in spec:  # the corpus also pins refusals
            try:
                return build(), "refused"
            except VirtconformError:
                return "refused", "refused"
        expect = case.suite / spec["expect"] if "expect" in spec else case.data / f"{case.name}.args"
        return build(), expect.read_text()

    def argv2xml(self, case: Case) -> tuple[str, str]:
        from virtconform.engine.qemu.argvparse import parse_argv_text
        f = case.data / f"{case.name}.args"
        dom = parse_argv_text(f.read_text(), self.profile.capabilities, str(f))
        return blank(dom.to_xml()), blank((case.data / f"{case.name}.xml").read_text())

    def help(self, case: Case) -> tuple[str, str]:
        from virtconform.engine.caps.help import read_help
        info = read_help(str(case.suite / "help" / case.name))
        ignore = set(case.spec.get("ignore_flags", []))
        got = {"version": info.version, "is_kvm": bool(info.is_kvm), "kvm_version": info.kvm_version,
               "flags": sorted(set(info.flags) - ignore)}
        want = {k: case.spec[k] for k in ("version", "is_kvm", "kvm_version")}
        want["flags"] = sorted(set(case.spec["flags"]) - ignore)
        return json.dumps(got, sort_keys=True), json.dumps(want, sort_keys=True)

    def run_case(self, case: Case) -> Outcome:
        try:
            got, want = getattr(self, case.section)(case)
        except VirtconformError as e:
            return Outcome(case, False, error=e.format())
        return Outcome(case, got == want, got, want)

    def run(self, cases: list[Case]) -> Report:
        return Report([self.run_case(c) for c in cases])


def iter_report_lines(report: Report, verbose: bool = False) -> Iterator[str]:
    xfail = {o.case.section: 0 for o in report.outcomes}
    for o in report.expected_failures:
        xfail[o.case.section] += 1
    for sec, (ok, total) in report.counts().items():
        yield f"{sec}: {ok}/{total}" + (f" ({xfail[sec]} expected failures)" if xfail[sec] else "")
    for o in report.expected_failures:
        yield f"XFAIL {o.case.label}: {o.case.spec['xfail']}"
    for o in report.failures:
        yield f"{'XPASS' if o.ok else 'FAIL'} {o.case.label}"
        if verbose:
            if o.error:
                yield f"  error: {o.error}"
            else:
                yield f"  want: {o.want.strip()[:2000]}"
                yield f"  got:  {o.got.strip()[:2000]}"
