"""Everyday use of the command line: --version, help texts, usage errors, several inputs."""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from virtconform.conformance.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DOMAINS = CORPUS / "domains"
CLI = [sys.executable, "-m", "virtconform.conformance.cli"]


def vc(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, input=stdin, cwd=cwd)


def _subparsers(ap: argparse.ArgumentParser | None = None, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every (sub)command's parser, nested ones too ("schema diff")."""
    out: dict[str, argparse.ArgumentParser] = {}
    for action in (ap or build_parser())._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out[prefix + name] = sub
                out.update(_subparsers(sub, f"{prefix}{name} "))
    return out


def test_version() -> None:
    from importlib.metadata import version
    p = vc("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"virtconform {version('virtconform')}"


@pytest.mark.parametrize("name", sorted(_subparsers()))
def test_every_option_has_help_and_states_its_default(name: str) -> None:
    parser = _subparsers()[name]
    formatter = parser._get_formatter()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{name} {action.option_strings or action.dest}: no help text"
        meaningful = action.default not in (None, False, argparse.SUPPRESS)
        if action.option_strings and meaningful and action.nargs != 0:
            shown = formatter._expand_help(action)
            assert "default" in shown, \
                f"{name} {action.option_strings[-1]}: default {action.default!r} not stated: {shown}"


def test_a_usage_error_shows_the_subcommands_usage() -> None:
    p = vc("caps")
    assert p.returncode == 2
    assert p.stderr.startswith("usage: virtconform caps") and "error:" in p.stderr


def test_suite_with_an_unknown_section_is_a_usage_error() -> None:
    p = vc("suite", str(CORPUS), "--section", "bogus")
    assert p.returncode == 2 and "usage: virtconform suite" in p.stderr and "bogus" in p.stderr
    assert p.stdout == ""


def test_a_malformed_manifest_is_a_located_input_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{\n  "xml2argv": [\n    {"name": "a",}\n  ]\n}\n')
    p = vc("suite", str(tmp_path))
    assert p.returncode == 2 and "internal error" not in p.stderr
    assert p.stderr.startswith(f"{tmp_path / 'manifest.json'}:3:")
    (tmp_path / "manifest.json").write_text('{"xml2xml": [{"nom": "a"}]}')
    p = vc("suite", str(tmp_path))
    assert p.returncode == 2 and "name" in p.stderr and "internal error" not in p.stderr


def test_xml2xml_takes_files_directories_and_stdin(tmp_path: Path) -> None:
    one, two = DOMAINS / "chardevs.xml", DOMAINS / "fat-dirs.xml"
    alone = vc("xml2xml", str(one))
    assert alone.returncode == 0 and alone.stdout.startswith("<domain")
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    shutil.copy(two, d / "sub" / "b.xml")
    p = vc("xml2xml", str(one), str(d), "-", stdin=two.read_text())
    assert p.returncode == 0, p.stderr
    heads = [ln for ln in p.stdout.splitlines() if ln.startswith("==> ")]
    assert heads == [f"==> {one} <==", f"==> {d / 'sub' / 'b.xml'} <==", "==> <stdin> <=="]
    parts = p.stdout.split("==> ")
    assert parts[1].split("\n", 1)[1] == alone.stdout
    assert parts[2].split("\n", 1)[1] == parts[3].split("\n", 1)[1]


def test_one_bad_input_does_not_hide_the_others(tmp_path: Path) -> None:
    p = vc("xml2xml", str(tmp_path / "missing.xml"), str(DOMAINS / "chardevs.xml"))
    assert p.returncode == 2 and "<domain" in p.stdout
    assert p.stderr.startswith(f"{tmp_path / 'missing.xml'}:")


def test_argv_takes_several_documents_and_prints_json_lines() -> None:
    files = [str(DOMAINS / "chardevs.xml"), str(DOMAINS / "fat-dirs.xml")]
    single = [json.loads(vc("argv", "--caps", "qemu-0.12.1", "--json", f).stdout) for f in files]
    p = vc("argv", "--caps", "qemu-0.12.1", "--json", *files)
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert [r.pop("path") for r in rows] == files
    assert rows == single


def test_argv2xml_reads_standard_input() -> None:
    xml = vc("argv", "--caps", "qemu-0.9.1", str(DOMAINS / "chardevs.xml"))
    assert xml.returncode == 0, xml.stderr
    from_file = vc("argv2xml", "-", stdin=xml.stdout)
    assert from_file.returncode == 0 and from_file.stdout.startswith("<domain"), from_file.stderr


def test_the_demo_fails_with_its_failures_and_says_what_it_skipped(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    manifest = json.loads((corpus / "invalid" / "manifest.json").read_text())
    name = sorted(manifest)[0]
    manifest[name]["line"] += 1000
    (corpus / "invalid" / "manifest.json").write_text(json.dumps(manifest))
    p = subprocess.run([sys.executable, "-m", "virtconform.conformance.cli.demo", str(corpus)],
                       capture_output=True, text=True, env={"PATH": "/usr/bin:/bin",
                                                            "VIRTCONFORM_SHARED": str(tmp_path / "none")})
    assert p.returncode == 1
    lines = p.stdout.splitlines()
    assert any(ln.startswith("FAIL") for ln in lines)
    assert "FAILED" in lines[-1] and " ok" not in lines[-1]
    assert any("skipped" in ln and "reference" in ln for ln in lines)
