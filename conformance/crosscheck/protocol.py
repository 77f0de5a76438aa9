"""Client of the oracle's batch protocol (``../shared/oracle/README.md``).

Any implementation can be crosschecked if it offers the oracle's commands:
``xml2xml-batch FILE...``, ``xml2argv-batch --exact-flags FLAGS FILE...`` and
``argv2xml-batch FILE...`` print one ``FILE<TAB>OK|ERR<TAB>payload`` line per
file (payload with ``\\``, ``\\n``, ``\\t`` escaped); the single modes
(``xml2xml``, ``xml2argv``, ``argv2xml``) exit 0 with the result, 1 when
refusing (the reason is the last line of stderr), 4 when the result depends on
the host, and die on a signal when the implementation crashes.

A crash in batch mode takes the whole batch down, and the answers still in the
crashed process' output buffer with it; the first documents left without an
answer (the crashing one is among them) are then run alone, side by side, and
the batch resumes after them.
"""
from __future__ import annotations

import math
import os
import re
import shlex
import signal
import subprocess
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from virtconform.engine.errors import UsageError

from .answers import CRASH, HANG, HOST, OK, REFUSED, Answer

#: The real driver's rule: an emulator is required and defaulted while parsing.
EMULATOR_REQUIRED = "LIBVIRT083_ORACLE_EMULATOR_REQUIRED"
#: Our mode names and the oracle's commands for them (single, batch).
COMMANDS = {"xml2xml": ("xml2xml", "xml2xml-batch"), "argv": ("xml2argv", "xml2argv-batch"),
            "argv2xml": ("argv2xml", "argv2xml-batch")}
#: The oracle's batch ERR payload for a document it did not run (single mode: exit 4).
_HOST_DEPENDENT = re.compile(r"^oracle: .*\bnot run\b")
_UNESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}
#: Singles run after a batch crash before the batch is tried again.
ISOLATE = 24
#: Most files (and bytes of file names) in one batch command line.
_MAX_FILES, _MAX_CHARS = 2000, 120_000


class OracleUnavailable(UsageError):
    """The oracle cannot be run, or does not speak the protocol (exit 2)."""


class OracleTimeout(OracleUnavailable):
    """The oracle gave no answer within its time limit (libvirt hangs on some inputs)."""


def unescape(payload: str) -> str:
    return _UNESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), payload)


def flags_argument(flags: Iterable[str]) -> str:
    """FLAGS as the oracle takes them: names in libvirt's bit order, ``none`` for no flag."""
    from virtconform.engine.caps.flags import Flags
    return ",".join(Flags(flags).ordered()) or "none"


def _signal_name(rc: int) -> str:
    n = -rc if rc < 0 else rc - 128
    try:
        return f"signal {n} ({signal.Signals(n).name})"
    except ValueError:
        return f"signal {n}"


def _crashed(rc: int) -> bool:
    return rc < 0 or rc >= 128


class Oracle:
    """An implementation reached through the batch protocol."""

    def __init__(self, command: str | Sequence[str], *, env: dict[str, str] | None = None,
                 timeout: float = 300.0, hang_seconds: float = 10.0) -> None:
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.argv:
            raise UsageError("--oracle needs a command")
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault(EMULATOR_REQUIRED, "1")
        self.timeout = timeout
        #: a document that takes more CPU time than this is answered HANG (libvirt's work is
        #: quadratic, or never ends, on some documents): CPU time, so that the verdict does
        #: not depend on the machine's load; a batch gets it plus a share per file
        self.hang_seconds = hang_seconds
        _few_descriptors()
        #: batch crashes after which no single run crashed (the crash needs the batch's state)
        self.batch_only_crashes = 0
        self.label = " ".join(self.argv)

    # ------------------------------------------------------------------ running
    def _run(self, args: list[str], what: str, cpu_seconds: float | None = None) -> subprocess.CompletedProcess[bytes]:
        """The oracle's process; with ``cpu_seconds``, the kernel stops it (SIGXCPU) once it
        has used that much CPU time. ``timeout`` bounds the wall time in any case."""
        try:
            proc = subprocess.Popen([*self.argv, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=self.env, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise OracleUnavailable(f"oracle not found: {self.argv[0]}") from None
        except PermissionError:
            raise OracleUnavailable(f"oracle not executable: {self.argv[0]}") from None
        if cpu_seconds is not None:
            _limit_cpu(proc.pid, cpu_seconds)
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise OracleTimeout(f"the oracle timed out after {self.timeout:g}s on {what}") from None
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def _fail(self, proc: subprocess.CompletedProcess[bytes], what: str) -> OracleUnavailable:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return OracleUnavailable(f"the oracle cannot run {what} (exit {proc.returncode}): "
                                 f"{tail[-1] if tail else 'no message'}")

    @staticmethod
    def _options(mode: str, flags: Iterable[str] | None) -> list[str]:
        if mode == "argv":
            return ["--exact-flags", flags_argument(flags or ())]
        return []

    def single(self, mode: str, path: str, flags: Iterable[str] | None = None) -> Answer:
        """One document in single mode: the exit status tells the outcome."""
        cmd = COMMANDS[mode][0]
        proc = self._run([cmd, *self._options(mode, flags), path], f"{cmd} {path}", self.hang_seconds)
        rc = proc.returncode
        if _out_of_cpu(rc):
            return Answer(HANG, f"no answer within {self.hang_seconds:g} CPU seconds")
        if rc == 0:
            return _built(mode, proc.stdout.decode("utf-8", "replace"))
        if _crashed(rc):
            return Answer(CRASH, _signal_name(rc))
        lines = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        if rc == 1:
            return Answer(REFUSED, lines[-1].strip() if lines else "")
        if rc == 4:
            return Answer(HOST, lines[-1].strip() if lines else "depends on the host")
        raise self._fail(proc, cmd)

    def _singles(self, mode: str, paths: Sequence[str], flags: Iterable[str] | None) -> dict[str, Answer]:
        """Single runs side by side (they mostly wait on the process)."""
        with ThreadPoolExecutor(min(8, max(1, len(paths)))) as threads:
            return dict(zip(paths, threads.map(lambda p: self.single(mode, p, flags), paths), strict=True))

    def batch(self, mode: str, paths: Sequence[str], flags: Iterable[str] | None = None) -> dict[str, Answer]:
        """Answers for every path; crashing documents are found and answered CRASH."""
        flags = list(flags or ())
        out: dict[str, Answer] = {}
        for chunk in _chunks(paths):
            out.update(self._batch_chunk(mode, chunk, flags))
        return out

    def _batch_chunk(self, mode: str, paths: list[str], flags: list[str]) -> dict[str, Answer]:
        out: dict[str, Answer] = {}
        todo = list(paths)
        cmd = COMMANDS[mode][1]
        crashes = 0
        while todo:
            if crashes >= 2:  # a batch that keeps crashing (e.g. a witness being minimized): all alone
                out.update(self._singles(mode, todo, flags))
                break
            # out of CPU time counts as a crash: the first unanswered documents run alone,
            # where the one that hangs is answered HANG
            proc = self._run([cmd, *self._options(mode, flags), *todo], f"{cmd} ({len(todo)} files)",
                             self.hang_seconds + _BATCH_SECONDS_PER_FILE * len(todo))
            got = _parse_batch(mode, proc.stdout)
            out.update((p, a) for p, a in got.items() if p in todo)
            rest = [p for p in todo if p not in got]
            if not _crashed(proc.returncode):
                if proc.returncode != 0:
                    raise self._fail(proc, cmd)
                if rest:
                    raise OracleUnavailable(f"the oracle's {cmd} gave no answer for {rest[0]}")
                break
            # the crashing document is among the first unanswered ones (the answers lost
            # with the process fit in its output buffer): answer those by single runs
            crashes += 1
            alone = rest[:ISOLATE]
            out.update(self._singles(mode, alone, flags))
            if not any(out[p].status in (CRASH, HANG) for p in alone) and len(rest) <= ISOLATE:
                self.batch_only_crashes += 1
            todo = rest[ISOLATE:]
        return out


#: a batch's CPU allowance per file beyond hang_seconds (libvirt answers a document in ~1 ms)
_BATCH_SECONDS_PER_FILE = 0.01


def _limit_cpu(pid: int, seconds: float) -> None:
    """At most ``seconds`` of CPU time for process ``pid`` (and, inherited, its children)."""
    try:
        import resource
        soft = max(1, math.ceil(seconds))
        resource.prlimit(pid, resource.RLIMIT_CPU, (soft, soft + 1))
    except (ImportError, AttributeError, ValueError, OSError):  # not Linux, or already gone
        pass


def _out_of_cpu(rc: int) -> bool:
    """Stopped by its CPU time limit: SIGXCPU at the soft limit, SIGKILL at the hard one."""
    return rc in (-signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGXCPU, 128 + signal.SIGKILL)


def _few_descriptors(limit: int = 1024) -> None:
    """libvirt's virExec closes every descriptor up to the soft limit before each exec (the
    oracle runs ``qemu -cpu ?`` for every guest CPU): with a limit of tens of thousands that
    is most of its time. Lowered for this process and its children; never raised."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def _chunks(paths: Sequence[str]) -> Iterable[list[str]]:
    chunk: list[str] = []
    size = 0
    for p in paths:
        if chunk and (len(chunk) >= _MAX_FILES or size + len(p) > _MAX_CHARS):
            yield chunk
            chunk, size = [], 0
        chunk.append(p)
        size += len(p) + 1
    if chunk:
        yield chunk


def _built(mode: str, text: str) -> Answer:
    """A command line as the ``.args`` files hold it: one line, one newline (a batch
    payload carries it without)."""
    return Answer(OK, text.rstrip("\n") + "\n" if mode == "argv" else text)


def _parse_batch(mode: str, stdout: bytes) -> dict[str, Answer]:
    """Complete ``FILE<TAB>OK|ERR<TAB>payload`` lines; a cut-off last line is dropped."""
    text = stdout.decode("utf-8", "replace")
    lines = text.split("\n")
    lines.pop()  # after the last newline: empty, or a line cut off by a crash
    out: dict[str, Answer] = {}
    for line in lines:
        parts = line.split("\t", 2)
        if len(parts) != 3 or parts[1] not in ("OK", "ERR"):
            continue
        path, status, payload = parts
        payload = unescape(payload)
        if status == "OK":
            out[path] = _built(mode, payload)
        elif _HOST_DEPENDENT.match(payload):
            out[path] = Answer(HOST, payload)
        else:
            out[path] = Answer(REFUSED, payload)
    return out
