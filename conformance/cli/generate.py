"""`virtconform generate`: schema-valid (or invalid) domain documents from a seed.

Document k of seed S comes from ``random.Random("S:k")`` driving the grammar
walker (no Hypothesis: byte-identical across runs and platforms, and fast);
``domaingen.numbered_domain`` makes it, so ``crosscheck --seed`` sees the same ones.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def run(args: argparse.Namespace) -> int:
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
