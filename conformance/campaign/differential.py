"""The properties that hold the engine to libvirt's own code (``../shared/oracle``).

Where the oracle (libvirt 0.8.3's QEMU driver as a command, or ``$VIRTCONFORM_ORACLE``) is
present, a document goes through both sides:

- ``agrees-with-libvirt``: xml2xml, argv for a legacy and a ``-device`` capability set,
  and argv2xml of the command lines libvirt built for them give the same output, or both
  refuse;
- ``edge-values-agree-with-libvirt``: the same, on a value mutant of the document (one or
  two values replaced by edges of C integers and libvirt's parsers,
  ``generators/edgevalues.py``), where the schema's datatypes do not lead the generator;
- ``argv-xml-argv``: the round trip argv -> xml -> argv changes exactly what libvirt's own
  round trip changes. libvirt's reader (qemuParseCommandLine) is lossy by design and
  buggy in places -- it does not read the ``-device``/``-chardev``/``-netdev`` syntax, drops
  options it does not know, reads an x86_64 kvm guest as i686, and its reading of its own
  builder's output may not build again -- so no rule of our own ("the round trip is the
  identity", "it converges in one round") is true of it. What is true: each step is
  libvirt's. The command line (step 1), the domain read back from it (step 2) and the
  command line of that domain (step 3) are libvirt's, or both sides refuse at the same
  step. A refusal by our reader of the builder's own command line is a failure unless
  libvirt's reader refuses it too or a row of docs/deviations.md makes it deliberate.

Disagreements of the kinds the deviation table's rows show are deliberate. Documents
libvirt would not run (host-dependent NICs) or on which it crashes are outside the
properties. Without the oracle both are left out of a campaign (``unavailable``).

The oracle starts a process per call, so both properties take documents in batches
(``Property.batch``): one oracle call per mode and capability set for a whole batch, and
step 1-2 shared between the two properties. Our side of a document is what the campaign's
other properties computed of it (``properties.analysis``, ``properties.read_command_line``),
taken while it is at hand (``Property.warm``): a document is loaded, built and read once
per campaign, not once per property.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from typing import Any

from virtconform.conformance.crosscheck.ours import Ours

from . import properties as P
from .properties import BOTH, Property, Skip, register

#: a legacy capability set and a -device one
SETS = ("qemu-0.9.1", "qemu-0.12.1")
#: the three steps of the round trip, as failures name them
STEPS = {"argv": "step 1 (argv)", "argv2xml": "step 2 (argv2xml of the command line)",
         "argv-again": "step 3 (argv of the domain read back)"}


def _sets() -> dict[str, frozenset[str]]:
    from virtconform.engine.caps.flags import resolve
    return {s: frozenset(resolve(s)) for s in SETS}


# ---------------------------------------------------------------- the oracle
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
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    checker = Checker(Oracle(str(cmd)), workdir, jobs=1, ours=CampaignOurs())
    try:
        kinds, _ = deviation_kinds(checker, deviations.TABLE)
    except OracleUnavailable:
        return None, frozenset()
    return checker, deviations.Deliberate(kinds, table_rows(deviations.TABLE))


def _unavailable() -> str | None:
    from virtconform.conformance.suites.shared import oracle_command
    return None if oracle_command() is not None else "../shared/oracle is not present"


def _first_steps(checker: Any, texts: tuple[str, ...]) -> tuple[tuple[Any, ...], ...]:
    """Per document (random values pinned): the results of xml2xml, then argv and argv2xml
    for each of SETS -- one batch through both sides, shared by the two properties (the
    second one asks for the same batch of the same checker)."""
    from virtconform.conformance.crosscheck.checker import probes_for
    if _LAST and _LAST[0] is checker and _LAST[1] == texts:
        return _LAST[2]
    results = checker.check(probes_for(texts, _sets(), ("xml2xml", "argv", "argv2xml")))
    k = 1 + 2 * len(SETS)
    out = tuple(tuple(results[i * k:(i + 1) * k]) for i in range(len(texts)))
    _LAST[:] = [checker, texts, out]
    return out


#: the last batch _first_steps answered: (checker, texts, results)
_LAST: list[Any] = []


def _pinned(xmls: list[str]) -> tuple[str, ...]:
    return tuple(_pin(x) for x in xmls)


@lru_cache(maxsize=1024)
def _pin(xml: str) -> str:
    """The document with the values libvirt draws at random written in (crosscheck's rule)."""
    from virtconform.conformance.crosscheck.documents import pin_random
    return pin_random(xml)


# ---------------------------------------------------------------- our side
class CampaignOurs(Ours):
    """Our engine's answers, taken from what the campaign's other properties computed of the
    same document: its analysis (the model's refusal, xml2xml, each set's command line) and
    the shared reading of command lines. A variable clock is built from the same load at
    the oracle's instant, as the checker asks."""

    def argv(self, text: str, flag_sets: Any, *, now: int, path: str = "<doc>",
             with_xml: bool = False) -> tuple[Any, dict[str, Any], bool]:
        flag_sets = list(flag_sets)
        if any(name not in SETS for name, _ in flag_sets):
            return super().argv(text, flag_sets, now=now, path=path, with_xml=with_xml)
        xml, lines, variable = our_side(text, with_xml)
        if callable(lines):
            lines = lines(now)
        return xml, {name: lines[name] for name, _ in flag_sets}, variable

    def argv2xml(self, text: str, path: str = "<args>") -> Any:
        from virtconform.conformance.crosscheck.answers import OK, REFUSED, Answer
        from virtconform.conformance.crosscheck.ours import _broken
        from virtconform.engine.errors import VirtconformError
        reading = P.read_command_line(text)
        if reading.error is None:
            return Answer(OK, reading.xml)
        if isinstance(reading.error, VirtconformError):
            return Answer(REFUSED, reading.error.message)
        return _broken(reading.error)


@lru_cache(maxsize=1024)
def our_side(text: str, with_xml: bool) -> tuple[Any, Any, bool]:
    """What Ours answers for a document, from its analysis: the xml2xml answer (when asked),
    the argv answer per set of SETS, and whether the clock is variable. A variable clock's
    command lines depend on the instant: then the second item builds them for ``now``
    (keeping the loaded domain until the batch asks)."""
    from virtconform.conformance.crosscheck.ours import _answer
    a = P.analysis(text)

    def load() -> Any:
        try:
            return a.dom
        except Skip:
            raise a.refusal from None
    loaded = _answer(load)
    if not loaded.built:
        return (loaded if with_xml else None), {name: loaded for name in SETS}, False
    xml = _answer(a.xml2xml) if with_xml else None

    def line(flags: frozenset[str], now: int) -> str:
        if now == P.PINNED_EPOCH:
            out = a.outcome(flags)
            if not hasattr(out, "argv"):
                raise out
            return out.render()
        return P.build_command_line_pinned(a.dom, flags, now).render()

    def lines(now: int) -> dict[str, Any]:
        return {name: _answer(lambda f=flags: line(f, now)) for name, flags in _sets().items()}
    if getattr(a.dom.clock, "offset", None) == "variable":
        return xml, lines, True
    return xml, lines(P.PINNED_EPOCH), False


def warm(xml: str) -> None:
    """Our side of a document, while the campaign's analysis of it is at hand: its answers,
    and the reading of its command lines (libvirt's, where it agrees)."""
    _, lines, _ = our_side(_pin(xml), True)
    if not callable(lines):
        for line in lines.values():
            if line.built:
                P.read_command_line(line.text)


def _clear() -> None:
    _pin.cache_clear()
    our_side.cache_clear()
    _LAST.clear()


P._CACHE_HOOKS.append(_clear)


def _wrong(results: list[Any], deliberate: Any, step: dict[int, str] | None = None) -> str | None:
    """The disagreements among ``results`` that no deviation row makes deliberate, or None."""
    from virtconform.conformance.crosscheck.compare import DISAGREEMENTS
    out = []
    for i, r in enumerate(results):
        if r is None or r.verdict.outcome not in DISAGREEMENTS or all(k in deliberate for k in r.verdict.kinds):
            continue
        where = (step or {}).get(i, "")
        label = ", ".join(x for x in (where, r.probe.caps) if x)
        out.append(f"{label + ': ' if label else ''}{', '.join(r.verdict.kinds)} "
                   f"({(r.verdict.detail.splitlines() or [''])[0][:200]})")
    return "; ".join(out) or None


# ---------------------------------------------------------------- agrees-with-libvirt
def batch_agrees_with_libvirt(xmls: list[str]) -> list[BaseException | None]:
    checker, deliberate = _checker()
    if checker is None:
        return [Skip("../shared/oracle is not present") for _ in xmls]
    out: list[BaseException | None] = []
    for results in _first_steps(checker, _pinned(xmls)):
        wrong = _wrong(list(results), deliberate)
        if wrong:
            out.append(AssertionError(wrong))
        elif all(r is None or not r.verdict.agrees for r in results):
            out.append(Skip("libvirt runs none of it (host-dependent, or it crashes)"))
        else:
            out.append(None)
    checker.discard_files()
    return out


def prop_agrees_with_libvirt(xml: str) -> None:
    """xml2xml, argv and argv2xml (qemu-0.9.1, qemu-0.12.1) agree with libvirt's own code
    (../shared/oracle), deviation rows excepted."""
    _raise(batch_agrees_with_libvirt([xml])[0])


# ---------------------------------------------------------------- argv-xml-argv
def batch_argv_xml_argv(xmls: list[str]) -> list[BaseException | None]:
    from virtconform.conformance.crosscheck.checker import Probe
    checker, deliberate = _checker()
    if checker is None:
        return [Skip("../shared/oracle is not present") for _ in xmls]
    sets = _sets()
    firsts = _first_steps(checker, _pinned(xmls))
    # step 3: the domain libvirt's reader made of libvirt's command line, built by both
    # sides (where both read it the same way, that is our round trip's step 3 too)
    again: list[Probe] = []
    owner: list[int] = []
    for i, results in enumerate(firsts):
        for j, name in enumerate(SETS):
            back = results[2 + 2 * j]
            if back is not None and back.theirs.built and back.verdict.agrees:
                again.append(Probe(back.theirs.text, "argv", name, sets[name]))
                owner.append(i)
    thirds: list[list[Any]] = [[] for _ in xmls]
    for i, r in zip(owner, checker.check(again) if again else [], strict=True):
        thirds[i].append(r)
    out: list[BaseException | None] = []
    for results, third in zip(firsts, thirds, strict=True):
        steps: list[Any] = []
        labels: dict[int, str] = {}
        for j in range(len(SETS)):
            for mode, r in (("argv", results[1 + 2 * j]), ("argv2xml", results[2 + 2 * j])):
                labels[len(steps)] = STEPS[mode]
                steps.append(r)
        for r in third:
            labels[len(steps)] = STEPS["argv-again"]
            steps.append(r)
        wrong = _wrong(steps, deliberate, labels)
        if wrong:
            out.append(AssertionError(wrong))
        elif not any(r is not None and r.theirs.built for r in results[1::2]):
            out.append(Skip("libvirt builds no command line of it to read back (refused, host-dependent, "
                            "or it crashes)"))
        else:
            out.append(None)
    checker.discard_files()
    return out


def prop_argv_xml_argv(xml: str) -> None:
    """argv -> xml -> argv changes exactly what libvirt's own round trip changes: the command
    line, the domain read back and its command line are libvirt's (../shared/oracle), or both
    refuse at the same step (qemu-0.9.1, qemu-0.12.1); deviation rows excepted."""
    _raise(batch_argv_xml_argv([xml])[0])


# ---------------------------------------------------------------- edge-values-agree-with-libvirt
def edge_mutant(xml: str) -> str:
    """The value mutant a document stands for (the same for the same text, so a failing
    example replays; the document itself where it has no value to replace)."""
    from virtconform.conformance.generators.edgevalues import value_mutants
    got = value_mutants(xml, 1, seed=0)
    return got[0] if got else xml


def batch_edge_values_agree(xmls: list[str]) -> list[BaseException | None]:
    mutants = [edge_mutant(x) for x in xmls]
    out: list[BaseException | None] = []
    for mutant, outcome in zip(mutants, batch_agrees_with_libvirt(mutants), strict=True):
        if isinstance(outcome, AssertionError):
            outcome = AssertionError(f"{outcome} -- on its value mutant (edge_mutant):\n{mutant}")
        out.append(outcome)
    return out


def prop_edge_values_agree(xml: str) -> None:
    """A value mutant of the document (edges of C integers and libvirt's parsers) agrees
    with libvirt's own code, as agrees-with-libvirt; deviation rows excepted."""
    _raise(batch_edge_values_agree([xml])[0])


def _raise(outcome: BaseException | None) -> None:
    if outcome is not None:
        raise outcome


# both kinds of document: a hostile one differs from libvirt by doubled commas, the one
# deviation row that covers a comma wherever the value sits (comma-in-option-value)
AGREES_WITH_LIBVIRT = register(Property("agrees-with-libvirt", prop_agrees_with_libvirt, kinds=BOTH,
                                        unavailable=_unavailable, batch=batch_agrees_with_libvirt, warm=warm))
EDGE_VALUES_AGREE = register(Property("edge-values-agree-with-libvirt", prop_edge_values_agree, kinds=BOTH,
                                      unavailable=_unavailable, batch=batch_edge_values_agree))
# libvirt's builder refuses about 45% of generated domains with both sets (timer names,
# CPU models, ...): nothing is then read back
ARGV_XML_ARGV = register(Property("argv-xml-argv", prop_argv_xml_argv, kinds=BOTH, unavailable=_unavailable,
                                  batch=batch_argv_xml_argv, warm=warm, max_skip=0.6))
