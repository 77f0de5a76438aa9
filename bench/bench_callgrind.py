"""Instruction counts under callgrind: per-document cost and start-up, repeatable under load.

Wall and CPU times on a shared machine move with the load; the number of instructions a
piece of work executes does not (PYTHONHASHSEED is pinned so dict layouts repeat). Each
per-document figure runs a Python loop under ``valgrind --tool=callgrind`` twice, over
W warm-up documents and over W + N, and divides the difference by N: start-up, imports,
schema compilation and the caches the first documents fill cancel out. Documents: N of
`corpus_gen.py`'s working set (valid) and the first W + N invalid documents of
`bench_validate.py`'s mixed set.

Per document, against two yardsticks:

  xmllint        `xmllint --noout --relaxng schemas/domain.rng` (W files vs W + N)
  lxml floor     read the file, lxml fromstring (xmlio's parser), RelaxNG validate
  validate       what `virtconform validate` does per file (cli.validate.check_one:
                 engine/fastvalid.py for a valid document)
  validate, invalid documents   the same on invalid ones: libxml2 rejects, then the
                 lxml path and the derivative walk locate every error (engine/rngderiv.py)
  pipeline       read_document + schema.check + model + defaults + argv render for
                 qemu-0.12.1, on the documents that build (refusals are not throughput)
  check          what `virtconform check` does per document (gatekeeping.checker:
                 validated, modelled, built and locked for qemu-0.12.1, qemu-0.9.1, kvm-74)

Start-up (whole processes, one document), for the layout a regular install has
(install_like.py) and for the development venv's editable install: `python -c pass`,
xmllint, `validate`, `argv --caps qemu-0.12.1`, `caps --qemu-help ... --json`, `check`.

Prints instructions and "N x the instructions of xmllint". Bytecode is cached in a temp
dir as in bench_startup.py. Takes several minutes (valgrind runs ~50x slower). No
assertions.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import install_like  # noqa: E402
from bench_startup import ENV, SCHEMA, XMLLINT, bytecode_env, pick_help, virtconform  # noqa: E402
from bench_validate import build_mixed  # noqa: E402
from corpus_gen import REPO, SHARED, build_working_set  # noqa: E402

VALGRIND = shutil.which("valgrind")
TARGETS = ["qemu-0.12.1", "qemu-0.9.1", "kvm-74"]

#: the loops, one per measurement: ``one(path)`` after the setup; argv: LIST-FILE, COUNT, SCHEMA
LOOPS = {
    "lxml floor": """
import sys
sys.modules.setdefault("rnc2rng", None)
from lxml import etree
rng = etree.RelaxNG(etree.parse(sys.argv[3]))
parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, collect_ids=False)
def one(path):
    with open(path, "rb") as f:
        rng.validate(etree.fromstring(f.read(), parser))
""",
    "validate": """
from virtconform.conformance.cli import validate
from virtconform.engine import fastvalid
validate._FAST = fastvalid.shipped()
one = validate.check_one
""",
    "pipeline": """
from virtconform.engine import schema
from virtconform.engine.caps.flags import resolve
from virtconform.engine.caps.profiles import get_profile
from virtconform.engine.loader import parse_domain
from virtconform.engine.qemu.builder import build_command_line
from virtconform.engine.xmlio import read_document
profile = get_profile("libvirt-test")
flags = resolve("qemu-0.12.1")
schema.load_schema()
def one(path):
    dom = parse_domain(read_document(path), profile.capabilities, validate=True)
    build_command_line(dom, flags, profile=profile, domid=profile.domid).render()
""",
    "check": """
from pathlib import Path
from virtconform.conformance.gatekeeping import checker
from virtconform.conformance.gatekeeping.config import load_config
checker._prepare(load_config(Path(CONFIG)))
def one(path):
    checker.check_document(path, Path(path).read_bytes(), False)
""",
}
DRIVER = """
import sys
paths = open(sys.argv[1]).read().split()[:int(sys.argv[2])]
CONFIG = {config!r}
{setup}
for p in paths:
    one(p)
"""


def collected(cmd: list[str], cwd: Path | None = None) -> int:
    """Instructions callgrind counted for ``cmd`` (the main process)."""
    r = subprocess.run([VALGRIND, "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],  # type: ignore[list-item]
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV, cwd=cwd)
    m = re.search(r"Collected\s*:\s*([0-9]+)", r.stderr)
    if m is None:
        raise RuntimeError(f"no callgrind total for {cmd[:3]}: {r.stderr.strip()[-300:]}")
    return int(m.group(1))


def per_document(label: str, listing: Path, warm: int, n: int, work: Path, config: Path) -> float:
    script = work / f"loop-{label.replace(' ', '-')}.py"
    script.write_text(DRIVER.format(setup=LOOPS[label], config=str(config)))
    base = [sys.executable, str(script), str(listing)]
    tail = [str(SCHEMA)]
    # once without valgrind: every module's bytecode is cached before anything is counted
    subprocess.run(base + [str(warm)] + tail, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return (collected(base + [str(warm + n)] + tail) - collected(base + [str(warm)] + tail)) / n


def xmllint_per_document(files: list[str], warm: int, n: int) -> float:
    cmd = [XMLLINT, "--noout", "--relaxng", str(SCHEMA)]
    return (collected(cmd + files[:warm + n]) - collected(cmd + files[:warm])) / n


def startup(doc: str, check_root: Path, installed: Path) -> dict[str, int]:
    help_file = pick_help()
    out: dict[str, int] = {}
    layouts = {"installed": [str(installed)], "editable": virtconform()}
    cmds: dict[str, tuple[list[str], Path | None]] = {
        "python -c pass (installed)": ([str(install_like.python_of(installed)), "-c", "pass"], None),
        "python -c pass (editable)": ([sys.executable, "-c", "pass"], None)}
    if Path(XMLLINT).exists():
        cmds["xmllint --relaxng (1 file)"] = ([XMLLINT, "--noout", "--relaxng", str(SCHEMA), doc], None)
    for layout, vc in layouts.items():
        cmds[f"validate, 1 file ({layout})"] = ([*vc, "validate", doc], None)
        cmds[f"argv --caps qemu-0.12.1 ({layout})"] = ([*vc, "argv", "--caps", "qemu-0.12.1", doc], None)
        if help_file is not None:
            cmds[f"caps --qemu-help --json ({layout})"] = (
                [*vc, "caps", "--qemu-help", str(help_file), "--json"], None)
        cmds[f"check --no-cache, 1 document x 3 ({layout})"] = ([*vc, "check", "--no-cache"], check_root)
    for label, (cmd, cwd) in cmds.items():
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, cwd=cwd)  # bytecode
        out[label] = collected(cmd, cwd)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200, help="documents measured per loop (default: 200)")
    ap.add_argument("--warm", type=int, default=20, help="warm-up documents, also run in the baseline")
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up measurements")
    args = ap.parse_args()
    if VALGRIND is None:
        print("skipped: valgrind is not installed")
        return 0
    print(f"python: {bytecode_env(False)}")
    ENV["PYTHONHASHSEED"] = "0"  # dict layouts, and so instruction counts, repeat
    work = Path(tempfile.mkdtemp(prefix="vc-bench-callgrind-"))
    installed = install_like.build(work / "installed")
    try:
        valid = build_working_set(args.warm + args.count, 1, work / "valid").files
        mixed = build_mixed(_mkdir(work / "mixed"), 2000, 1)
        invalid = [f for f in mixed if _invalid(f)][:args.warm + args.count]
        check_root = _check_repository(work / "check", valid[0])
        builds = [f for f in valid if _builds(f)]
        listings = {"valid": valid, "invalid": invalid, "builds": builds}
        for name, files in listings.items():
            (work / f"{name}.txt").write_text("\n".join(files))
        n = {k: len(v) - args.warm for k, v in listings.items()}
        print(f"documents: {n['valid']} valid (corpus_gen.py, after {args.warm} warm-up), "
              f"{n['invalid']} invalid (bench_validate.py's mixed set), {n['builds']} of the valid "
              f"ones build for qemu-0.12.1\n")
        config = check_root / "virtconform.toml"
        rows: dict[str, float] = {}
        if Path(XMLLINT).exists():
            rows["xmllint"] = xmllint_per_document(valid, args.warm, n["valid"])
        rows["lxml floor"] = per_document("lxml floor", work / "valid.txt", args.warm, n["valid"], work, config)
        rows["validate"] = per_document("validate", work / "valid.txt", args.warm, n["valid"], work, config)
        rows["validate, invalid documents"] = per_document("validate", work / "invalid.txt", args.warm,
                                                           n["invalid"], work, config)
        rows["pipeline (argv, qemu-0.12.1)"] = per_document("pipeline", work / "builds.txt", args.warm,
                                                            n["builds"], work, config)
        rows["check (3 targets)"] = per_document("check", work / "valid.txt", args.warm, n["valid"], work,
                                                 config)
        print("instructions per document:")
        base = rows.get("xmllint") or rows["lxml floor"]
        name = "xmllint's" if "xmllint" in rows else "the lxml floor's"
        for label, count in rows.items():
            print(f"  {label:32s} {count / 1e6:7.3f}M  {count / base:5.2f}x {name}")
        if not args.no_startup:
            doc = _argv_document(valid)
            counts = startup(doc, check_root, installed)
            xl = counts.get("xmllint --relaxng (1 file)")
            print(f"\nstart-up, whole processes on {Path(doc).name} (instructions):")
            for label, count in counts.items():
                extra = f"  {count / xl:6.1f}x xmllint's" if xl else ""
                print(f"  {label:48s} {count / 1e6:8.1f}M{extra}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if "PYTHONPYCACHEPREFIX" in ENV:
            shutil.rmtree(ENV["PYTHONPYCACHEPREFIX"], ignore_errors=True)
    return 0


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def _invalid(path: str) -> bool:
    from virtconform.engine import schema
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.xmlio import read_document
    try:
        return bool(schema.validate(read_document(path)))
    except VirtconformError:
        return False  # not well-formed: no diagnosis to measure


def _builds(path: str) -> bool:
    from virtconform.engine.caps.flags import resolve
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.loader import parse_domain
    from virtconform.engine.qemu.builder import build_command_line
    from virtconform.engine.xmlio import read_document
    profile = get_profile("libvirt-test")
    try:
        dom = parse_domain(read_document(path), profile.capabilities, validate=True)
        build_command_line(dom, resolve("qemu-0.12.1"), profile=profile, domid=profile.domid)
        return True
    except VirtconformError:
        return False


def _check_repository(root: Path, doc: str) -> Path:
    """A repository of one document and the three targets, locked (for `check` start-up)."""
    (root / "domains").mkdir(parents=True)
    (root / "virtconform.toml").write_text('include = ["domains/*.xml"]\n' + f"targets = {json.dumps(TARGETS)}\n")
    shutil.copy(doc, root / "domains" / "one.xml")
    subprocess.run([*virtconform(), "check", "--update"], cwd=root, env=ENV, stdout=subprocess.DEVNULL)
    return root


def _argv_document(valid: list[str]) -> str:
    preferred = SHARED / "libvirt-0.8.3" / "data" / "disk-virtio.xml"
    if preferred.is_file():
        return str(preferred)
    corpus = sorted((REPO / "corpus" / "domains").glob("*.xml"))
    return str(corpus[0]) if corpus else valid[0]


if __name__ == "__main__":
    sys.exit(main())
