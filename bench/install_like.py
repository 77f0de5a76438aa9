"""A `virtconform` laid out as a regular install, for start-up measurements.

The development venv installs the project in editable mode: setuptools then adds an
import hook that every Python process of that venv loads at start-up (it imports
pathlib, importlib.util, urllib.parse ...: ~50M instructions, ~15 ms), whatever it
runs. A user's `pip install virtconform` has no such hook. This builds the same
layout without building a wheel: a fresh venv (no pip) whose site-packages has one
.pth file of plain path lines -- a directory holding ``virtconform/{engine,
conformance,schemas}`` as symlinks to the working tree, then the development venv's
site-packages for lxml -- and a console script as pip writes it. Path lines in a
.pth file import nothing, and the development venv's own .pth files are not run.

``python bench/install_like.py`` builds one and prints its `virtconform` path.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = {"engine": "engine", "conformance": "conformance", "schemas": "schemas"}
SCRIPT = """#!{python}
import sys
from virtconform.conformance.cli.main import main
if __name__ == "__main__":
    sys.exit(main())
"""


def build(directory: Path | None = None) -> Path:
    """Create the layout under ``directory`` (a new temp dir by default); returns the
    path of its `virtconform` script. Remove the directory when done."""
    root = directory or Path(tempfile.mkdtemp(prefix="vc-bench-installed-"))
    venv = root / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    tree = root / "tree" / "virtconform"
    tree.mkdir(parents=True)
    for name, source in PACKAGES.items():
        os.symlink(REPO / source, tree / name)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "virtconform-bench.pth").write_text(f"{root / 'tree'}\n{sysconfig.get_path('purelib')}\n")
    script = venv / "bin" / "virtconform"
    script.write_text(SCRIPT.format(python=python))
    script.chmod(0o755)
    return script


def python_of(script: Path) -> Path:
    """The interpreter of a layout built by ``build``."""
    return script.parent / "python"


def remove(script: Path) -> None:
    shutil.rmtree(script.parents[2], ignore_errors=True)


if __name__ == "__main__":
    print(build())
