"""The differential property: a generated document gets from us what libvirt's own code gives it.

Where ../shared/oracle (libvirt 0.8.3's QEMU driver as a command, or ``$VIRTCONFORM_ORACLE``)
is present, the document goes through both: xml2xml, argv for a legacy and a ``-device``
capability set, and argv2xml of the command lines libvirt built for them. Same output, or both refuse; disagreements of the kinds the deviation table's
rows show are deliberate. Documents libvirt would not run (host-dependent NICs) or on which it
crashes are outside the property. Without the oracle every document is skipped.

Registered into the property suite (``virtconform fuzz`` runs it; tests/test_properties.py
marks it expected-to-fail with the measured agreement while the engine's fidelity work is in
progress: ``virtconform crosscheck`` measures how far).
"""
from __future__ import annotations

import tempfile
from functools import lru_cache
from typing import Any

from .properties import Property, Skip, register

#: a legacy capability set and a -device one
SETS = ("qemu-0.9.1", "qemu-0.12.1")


def prop_agrees_with_libvirt(xml: str) -> None:
    """xml2xml, argv and argv2xml (qemu-0.9.1, qemu-0.12.1) agree with libvirt's own code
    (../shared/oracle), deviation rows excepted."""
    from virtconform.conformance.crosscheck.checker import probes_for
    from virtconform.conformance.crosscheck.compare import DISAGREEMENTS
    from virtconform.conformance.crosscheck.documents import pin_random
    from virtconform.engine.caps.flags import resolve

    checker, deliberate = _checker()
    if checker is None:
        raise Skip("../shared/oracle is not present")
    results = checker.check(probes_for([pin_random(xml)], {s: frozenset(resolve(s)) for s in SETS},
                                       ("xml2xml", "argv", "argv2xml")))
    wrong = [r for r in results if r is not None and r.verdict.outcome in DISAGREEMENTS
             and not all(k in deliberate for k in r.verdict.kinds)]
    if wrong:
        raise AssertionError("; ".join(f"{r.probe.caps + ': ' if r.probe.caps else ''}{', '.join(r.verdict.kinds)}"
                                       f" ({(r.verdict.detail.splitlines() or [''])[0][:200]})" for r in wrong))
    if all(r is None or not r.verdict.agrees for r in results):
        raise Skip("libvirt runs none of it (host-dependent, or it crashes)")


@lru_cache(maxsize=1)
def _checker() -> tuple[Any, Any]:
    """A checker on the oracle (one per process) and the kinds the deviation rows make deliberate."""
    from virtconform.conformance.crosscheck import deviations
    from virtconform.conformance.crosscheck.checker import Checker
    from virtconform.conformance.crosscheck.protocol import Oracle, OracleUnavailable
    from virtconform.conformance.crosscheck.run import deviation_kinds, scratch_dir, table_rows
    from virtconform.conformance.suites.shared import oracle_command

    cmd = oracle_command()
    if cmd is None:
        return None, frozenset()
    workdir = tempfile.mkdtemp(prefix="virtconform-differential-", dir=scratch_dir())
    checker = Checker(Oracle(str(cmd)), workdir, jobs=1)
    try:
        kinds, _ = deviation_kinds(checker, deviations.TABLE)
    except OracleUnavailable:
        return None, frozenset()
    return checker, deviations.Deliberate(kinds, table_rows(deviations.TABLE))


def _unavailable() -> str | None:
    from virtconform.conformance.suites.shared import oracle_command
    return None if oracle_command() is not None else "../shared/oracle is not present"


AGREES_WITH_LIBVIRT = register(Property("agrees-with-libvirt", prop_agrees_with_libvirt, unavailable=_unavailable))
