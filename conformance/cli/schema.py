"""``virtconform schema compile|check|diff|coverage``: tools for schema authors.

The .rnc files are the source; the .rng files are what lxml/libxml2 load at
run time. ``compile`` and ``check`` are the only commands that import rnc2rng
(see engine/__init__.py). A grammar that does not compile, or compiles to a
broken RELAX NG grammar (an undefined reference, a define given twice), is one
located error ``FILE.rnc:LINE:COL: message`` and no .rng is written.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from virtconform.engine.errors import DocumentError, InputError, UsageError

#: schema sources compiled by this command; domain.rnc inlines the other two
SOURCES = ("basictypes.rnc", "storageencryption.rnc", "domain.rnc")

_RNC2RNG_AT = re.compile(r"in (?P<file>.+?) \[(?P<line>\d+):(?P<col>\d+)\]")
_QUOTED = re.compile(r"'([^']+)'")


def default_dir() -> Path:
    """The directory of the shipped schemas (the virtconform.schemas package)."""
    import virtconform.schemas as pkg
    return Path(next(iter(pkg.__path__)))


def _check_compiled(path: Path, files: list[Path], text: str) -> None:
    """A compiled grammar must be a usable one: located errors point into the .rnc sources."""
    from lxml import etree

    from virtconform.conformance.grammar import rncsource as src
    from virtconform.engine import rngtree
    data = text.encode()
    src.check_datatypes(files, etree.fromstring(data))
    if b"<start" not in data:
        return  # a library of defines: its references are resolved by the grammars including it
    try:
        rngtree.loads(data, path.with_suffix(".rng"))
        etree.RelaxNG(etree.fromstring(data, base_url=str(path.with_suffix(".rng"))))
    except rngtree.GrammarError as e:
        m = _QUOTED.search(e.message)
        if "more than once" in e.message:
            where = src.definition(files, m.group(1) if m else "start", 2)
        elif m:
            where = src.reference(files, m.group(1))
        else:
            construct = re.search(r"<(\w+?)(?:Ref)?>", e.message)
            where = src.find(files, rf"\b{construct.group(1)}\b") if construct else None
        raise src.located(files, f"broken grammar: {e.message}", where) from None
    except (etree.XMLSyntaxError, etree.RelaxNGParseError) as e:
        msg = " ".join(str(e).split())
        at = re.search(r", line (\d+)$", msg)
        msg = msg[:at.start()] if at else msg
        where = None
        if m := re.search(r"type '([^']+)' is not exported", msg):
            where = src.find(files, r":" + re.escape(m.group(1)) + r"\b")
        elif m := re.search(r"(?:Reference|define|element|attribute) (\S+)", msg):
            where = src.reference(files, m.group(1))
        if where is None and at:
            where = src.blame_compiled_line(files, etree.fromstring(data), int(at.group(1)))
        raise src.located(files, f"broken grammar: {msg}", where) from None


def _compile_error(path: Path, files: list[Path], e: Exception) -> DocumentError:
    """rnc2rng's failure as one located error in the source that has the mistake."""
    from virtconform.conformance.grammar import rncsource as src
    msg = str(e)
    at = _RNC2RNG_AT.search(msg)
    first = msg.splitlines()[0] if msg else type(e).__name__
    if at:
        where = Path(at.group("file"))
        where = where if where.is_absolute() or where.exists() else path.parent / where.name
        return DocumentError(f"syntax error in the compact grammar ({_RNC2RNG_AT.sub('', first).strip() or 'parse error'})",
                             path=str(where), line=int(at.group("line")), column=int(at.group("col")))
    parsing = src.parsing_file(e) or path
    if isinstance(e, AttributeError) and "lineno" in msg:
        line, col = src.end_of_file(parsing)  # rnc2rng's parser fails on its end-of-file token
        return DocumentError("syntax error in the compact grammar (unexpected end of file)",
                             path=str(parsing), line=line, column=col)
    failed_in = src.failing_function(e)
    if failed_in in ("namespace", "datatype_library") and e.args and isinstance(e.args[0], str):
        prefix, what = e.args[0], "namespace" if failed_in == "namespace" else "datatype library"
        return src.located(files, f"undeclared {what} prefix {prefix!r}",
                           src.find(files, r"(?<![\w.-])" + re.escape(prefix) + r":(?=[\w*])"))
    if failed_in == "visit" and len(files) > 1:
        return src.located(files, "an included grammar declares its default namespace or prefixes "
                           "differently from the grammar including it", src.find(files, r"\binclude\b"))
    return DocumentError(f"cannot compile schema: {' '.join(msg.split()) or type(e).__name__}",
                         path=str(parsing), line=1, column=1)


def compile_rnc(path: Path) -> str:
    """Compile one .rnc file to RELAX NG XML text (includes are inlined by rnc2rng)."""
    try:
        from virtconform.engine import allow_rnc2rng
        allow_rnc2rng()
        import rnc2rng
    except ImportError:
        raise UsageError("rnc2rng is not installed: pip install 'virtconform[schema]'") from None
    from virtconform.conformance.grammar import rncsource
    files = rncsource.sources(path)  # includes that are missing or remote: located, before rnc2rng
    try:
        text = rnc2rng.dumps(rnc2rng.load(str(path)))
    except Exception as e:  # rnc2rng raises its own ParseError, and Python errors on some mistakes
        raise _compile_error(path, files, e) from None
    text = text if text.endswith("\n") else text + "\n"
    _check_compiled(path, files, text)
    return text


def compiled(directory: Path) -> dict[Path, str]:
    """Fresh compilation of every source present in ``directory``: {rng path: text}."""
    out: dict[Path, str] = {}
    for name in SOURCES:
        src = directory / name
        if src.is_file():
            out[src.with_suffix(".rng")] = compile_rnc(src)
    if not out:
        raise InputError("no .rnc schema sources found", path=str(directory), line=0, column=0)
    return out


def _directory(args: argparse.Namespace) -> Path:
    directory = Path(args.dir) if getattr(args, "dir", None) else default_dir()
    if not directory.is_dir():
        raise InputError("not a directory", path=str(directory), line=0, column=0)
    return directory


def run(args: argparse.Namespace) -> int:
    action = args.action
    if action == "diff":
        return run_diff(args)
    if action == "coverage":
        return run_coverage(args)
    directory = _directory(args)
    fresh = compiled(directory)  # nothing is written unless every source compiles
    if action == "compile":
        for path, text in fresh.items():
            old = path.read_text(encoding="utf-8") if path.is_file() else None
            if old != text:
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path}", file=sys.stderr)
        return 0
    stale = [p for p, text in fresh.items()
             if not p.is_file() or p.read_text(encoding="utf-8") != text]
    for p in stale:
        print(f"{p}:1:1: stale: differs from a fresh compile of {p.with_suffix('.rnc').name}"
              " (run `virtconform schema compile`)", file=sys.stderr)
    failures = check_documents(directory, fresh, getattr(args, "docs", None) or [])
    return 1 if stale or failures else 0


def check_documents(directory: Path, fresh: dict[Path, str], docs: list[str]) -> int:
    """libvirt's convention: ``*-invalid.xml`` must be rejected, every other document accepted.

    The documents are checked against the fresh compile (the sources), not the
    shipped .rng, so a check before ``compile`` tells what the sources mean."""
    import tempfile

    from virtconform.engine import schema
    from virtconform.engine.xmlio import read_document

    from .inputs import expand
    files = expand(docs, "*.xml")
    if not files:
        return 0
    main_rng = next((p for p in fresh if p.name == "domain.rng"), next(iter(fresh)))
    failures = 0
    with tempfile.TemporaryDirectory(prefix="vc-schema-") as tmp:
        for p, text in fresh.items():
            (Path(tmp) / p.name).write_text(text, encoding="utf-8")
        grammar = Path(tmp) / main_rng.name
        for f in files:
            try:
                problems = schema.validate(read_document(f), grammar)
            except (InputError, DocumentError) as e:
                print(e.located(path=f).format(), file=sys.stderr)
                failures += 1
                continue
            if Path(f).name.endswith("-invalid.xml"):
                if not problems:
                    print(f"{f}:1:1: accepted, but its name says it is invalid (*-invalid.xml)",
                          file=sys.stderr)
                    failures += 1
            elif problems:
                failures += 1
                for pr in problems:
                    print(pr.format(f), file=sys.stderr)
    if failures:
        print(f"{failures} of {len(files)} documents break the convention (*-invalid.xml rejected,"
              " all others accepted)", file=sys.stderr)
    return failures


def _side(path: str):  # noqa: ANN202 - schemadiff.Side, imported late
    from virtconform.conformance.grammar import schemadiff
    from virtconform.conformance.grammar.rng import GrammarError
    if path.endswith(".rnc"):
        try:
            text = compile_rnc(Path(path)).encode()
        except DocumentError as e:  # a broken grammar: diff's status 1 means "they differ"
            raise InputError(e.message, path=e.path, line=e.line, column=e.column) from None
        try:
            return schemadiff.Side(str(Path(path).with_suffix(".rng")), text)
        except GrammarError as e:
            raise InputError(e.message, path=path, line=e.line or 1, column=1) from None
    try:
        return schemadiff.Side(path)
    except GrammarError as e:
        raise InputError(e.message, path=e.path or path, line=e.line or 1, column=1) from None


def run_diff(args: argparse.Namespace) -> int:
    from virtconform.conformance.grammar import schemadiff
    if args.count < 0:
        raise UsageError("--count must not be negative")
    old, new = _side(args.old), _side(args.new)
    report = schemadiff.diff(old, new, count=args.count, seed=args.seed)
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(schemadiff.render(report, args.old, args.new))
    return 1 if report.only_old or report.only_new else 0


def run_coverage(args: argparse.Namespace) -> int:
    from virtconform.conformance.grammar import patterncov
    from virtconform.conformance.grammar.rng import GrammarError, load
    from virtconform.engine.schema import shipped_schema_path

    from .inputs import expand
    grammar_path = args.schema or str(shipped_schema_path())
    try:
        grammar = load(grammar_path)
    except GrammarError as e:
        raise InputError(e.message, path=e.path or grammar_path, line=e.line or 1, column=1) from None
    corpus = args.corpus or (["corpus"] if Path("corpus").is_dir() else [])
    if not corpus:
        raise UsageError("name the documents or directories to measure (there is no ./corpus)")
    report = patterncov.measure(grammar, grammar_path, expand(corpus, "*.xml"))
    if args.html:
        from virtconform.conformance.reports import write_html
        write_html(args.html, "coverage", report.as_dict())
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report.render())
    return 0
