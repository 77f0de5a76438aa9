"""`virtconform generate`: schema-valid (or invalid) domain documents from a seed.

Document k of seed S comes from ``random.Random("S:k")`` driving the grammar
walker (no Hypothesis: byte-identical across runs and platforms, and fast);
``domaingen.numbered_domain`` makes it, so ``crosscheck --seed`` sees the same ones.
With ``--schema FILE.rng`` the walk is of that grammar, whatever it describes,
and each document is checked against it with libxml2 before it is written.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from lxml import etree


def _doc_seed(seed: int, k: int) -> random.Random:
    return random.Random(f"{seed}:{k}")


#: attempts per document of --schema before giving up on the grammar
_ATTEMPTS = 25


def schema_documents(path: str, count: int, seed: int) -> list[etree._Element]:
    """``count`` documents of the grammar at ``path``, each valid under it (libxml2)."""
    from virtconform.conformance.grammar.rng import GrammarError, load
    from virtconform.conformance.grammar.walker import RandomChooser, Unsatisfiable, Walker
    from virtconform.engine.errors import InputError, UsageError

    try:
        grammar = load(path)
        checker = etree.RelaxNG(etree.parse(path, etree.XMLParser(no_network=True, resolve_entities=False)))
    except GrammarError as e:
        raise InputError(f"cannot read grammar: {e.message}", path=e.path or path, line=e.line or 1,
                         column=1) from None
    except (OSError, etree.XMLSyntaxError, etree.RelaxNGParseError) as e:
        raise InputError(f"cannot load grammar: {' '.join(str(e).split())}", path=path, line=1,
                         column=1) from None
    out = []
    for k in range(count):
        for attempt in range(_ATTEMPTS):
            walker = Walker(RandomChooser(_doc_seed(seed, k) if attempt == 0
                                          else random.Random(f"{seed}:{k}:{attempt}")))
            try:
                root = walker.document(grammar.start)
            except (Unsatisfiable, RecursionError):
                continue
            if checker.validate(root):
                out.append(root)
                break
        else:
            raise UsageError(f"the grammar yields no valid document for seed {seed}, document {k}",
                             path=path, line=1, column=1)
    return out


def run(args: argparse.Namespace) -> int:
    if getattr(args, "schema", None):
        return run_schema(args)
    from virtconform.conformance.generators import mutate
    from virtconform.conformance.generators.domaingen import numbered_domain, to_text
    from virtconform.conformance.grammar import coverage
    from virtconform.conformance.grammar.rng import shipped
    from virtconform.engine.errors import UsageError

    if args.count < 0:
        raise UsageError("--count must not be negative")
    if not args.out and not args.coverage:
        raise UsageError("give --out DIR (where the documents go) and/or --coverage")
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(max(args.count - 1, 0))))
    reached: set[str] = set()
    shapes: set[frozenset[str]] = set()
    modes = list(mutate.MODES)
    written = 0
    for k in range(args.count):
        ch, root = numbered_domain(args.seed, k, refine=not getattr(args, "raw", False),
                                   hostile=getattr(args, "hostile", False))
        header = ""
        if args.invalid:
            mode = modes[k % len(modes)]
            result = None
            for m in [mode] + modes:  # a mode that has no site in this document: the next one
                result = mutate.mutate(root, m, ch)
                if result is not None:
                    mode = m
                    break
            if result is None:
                continue
            root, desc = result
            header = f"<!-- error mode: {mode}: {desc.replace('--', '- -')} -->\n"
        paths = coverage.document_paths(root)
        reached |= paths
        shapes.add(frozenset(paths))
        if out is not None:
            (out / f"{k:0{width}d}.xml").write_text(header + to_text(root), encoding="utf-8")
        written += 1
    if args.coverage:
        allowed = coverage.schema_paths(shipped())
        hit = reached & allowed
        missing = sorted(allowed - reached)
        pct = 100.0 * len(hit) / len(allowed) if allowed else 100.0
        if args.json:
            json.dump({"documents": written, "schema_paths": len(allowed), "reached": len(hit),
                       "percent": round(pct, 2), "distinct_shapes": len(shapes), "missing": missing},
                      sys.stdout, indent=1)
            sys.stdout.write("\n")
        else:
            print(f"{written} documents, {len(shapes)} distinct shapes")
            print(f"schema paths reached: {len(hit)}/{len(allowed)} ({pct:.1f}%)")
            for m in missing:
                print(f"  missing {m}")
    elif args.json:
        json.dump({"documents": written, "out": str(out)}, sys.stdout)
        sys.stdout.write("\n")
    return 0


def run_schema(args: argparse.Namespace) -> int:
    """``generate --schema``: a raw walk of any grammar (the refinements are the domain's)."""
    from virtconform.conformance.generators.domaingen import to_text
    from virtconform.conformance.grammar import coverage
    from virtconform.conformance.grammar.rng import load
    from virtconform.engine.errors import UsageError

    if args.invalid:
        raise UsageError("--invalid needs the project's own grammar (its error modes are the domain's)")
    if args.count < 0:
        raise UsageError("--count must not be negative")
    if not args.out and not args.coverage:
        raise UsageError("give --out DIR (where the documents go) and/or --coverage")
    roots = schema_documents(args.schema, args.count, args.seed)
    width = max(4, len(str(max(args.count - 1, 0))))
    out = Path(args.out) if args.out else None
    reached: set[str] = set()
    for k, root in enumerate(roots):
        reached |= coverage.document_paths(root)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{k:0{width}d}.xml").write_text(to_text(root), encoding="utf-8")
    if args.coverage:
        allowed = coverage.schema_paths(load(args.schema))
        hit = reached & allowed
        pct = 100.0 * len(hit) / len(allowed) if allowed else 100.0
        if args.json:
            json.dump({"documents": len(roots), "schema_paths": len(allowed), "reached": len(hit),
                       "percent": round(pct, 2), "missing": sorted(allowed - reached)}, sys.stdout, indent=1)
            sys.stdout.write("\n")
        else:
            print(f"{len(roots)} documents; schema paths reached: {len(hit)}/{len(allowed)} ({pct:.1f}%)")
    elif args.json:
        json.dump({"documents": len(roots), "out": str(out)}, sys.stdout)
        sys.stdout.write("\n")
    return 0
