"""A stand-in for ../shared/oracle/libvirt083-oracle: its protocol, answered by our own engine,
with faults on demand. Tests of the crosscheck use it where the real oracle is absent, and to
check what the real one cannot be made to do (crash on a chosen document, differ on purpose).

    python fake_oracle.py xml2argv[-batch] --exact-flags FLAGS FILE...
    python fake_oracle.py xml2xml[-batch] FILE...
    python fake_oracle.py argv2xml[-batch] FILE...

Faults (environment): FAKE_ORACLE_CRASH=TEXT dies on SIGSEGV on a document containing TEXT
(argv modes; in batch mode the answers not yet flushed die with it, as with the real one);
FAKE_ORACLE_HANG=TEXT spins for ever on such a document (any mode: libvirt's quadratic
controller lists); FAKE_ORACLE_REFUSE=TEXT refuses such documents; FAKE_ORACLE_HOST=TEXT does not run them
(host-dependent); FAKE_ORACLE_SUB="REGEX=>REPLACEMENT" rewrites every argv output (several
rewrites: one per line).
"""
from __future__ import annotations

import os
import re
import signal
import sys
import time

MODES = {"xml2argv": "argv", "xml2xml": "xml2xml", "argv2xml": "argv2xml"}


def answer(mode: str, text: str, flags: frozenset[str]) -> tuple[str, str]:
    """(OK|ERR|HOST, payload) for one document; may kill the process."""
    env = os.environ
    if env.get("FAKE_ORACLE_CRASH") and env["FAKE_ORACLE_CRASH"] in text and mode == "argv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if env.get("FAKE_ORACLE_HANG") and env["FAKE_ORACLE_HANG"] in text:
        while True:
            pass
    if env.get("FAKE_ORACLE_HOST") and env["FAKE_ORACLE_HOST"] in text and mode == "argv":
        return "HOST", "oracle: interface type 'bridge' opens host devices; not run"
    if env.get("FAKE_ORACLE_REFUSE") and env["FAKE_ORACLE_REFUSE"] in text:
        return "ERR", "internal error the fake oracle refuses this document"
    from virtconform.conformance.crosscheck.ours import Ours  # only now: faults are quick
    ours = Ours()
    if mode == "xml2xml":
        a = ours.xml2xml(text)
    elif mode == "argv2xml":
        a = ours.argv2xml(text)
    else:
        _, built, _ = ours.argv(text, [("set", flags)], now=int(time.time()))
        a = built["set"]
        if a.built and env.get("FAKE_ORACLE_SUB"):
            text = a.text
            for sub in env["FAKE_ORACLE_SUB"].split("\n"):
                pattern, _, repl = sub.partition("=>")
                text = re.sub(pattern, repl, text)
            a = type(a)(a.status, text)
    return ("OK", a.text) if a.built else ("ERR", a.text)


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: fake_oracle.py COMMAND [--exact-flags FLAGS] FILE...", file=sys.stderr)
        return 2
    command, args = argv[1], argv[2:]
    flags: frozenset[str] = frozenset()
    if args[:1] == ["--exact-flags"]:
        flags = frozenset() if args[1] == "none" else frozenset(args[1].split(","))
        args = args[2:]
    batch = command.endswith("-batch")
    mode = MODES.get(command.removesuffix("-batch"))
    if mode is None:
        print(f"unknown command {command}", file=sys.stderr)
        return 2
    out = sys.stdout
    for n, path in enumerate(args):
        with open(path, encoding="utf-8") as f:
            status, payload = answer(mode, f.read(), flags)
        if batch:
            out.write(f"{path}\t{'ERR' if status == 'HOST' else status}\t{escape(payload.rstrip(chr(10)) if mode == 'argv' else payload)}\n")
            if n % 2:
                out.flush()  # some answers reach the pipe, the latest die with a crash
        elif status == "OK":
            out.write(payload)
        else:
            print(payload, file=sys.stderr)
            return 4 if status == "HOST" else 1
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
