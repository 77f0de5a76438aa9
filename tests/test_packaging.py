"""The project builds as a regular wheel without build warnings, and the wheel carries what
the installed tool reads at run time (schemas, capability data)."""
from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from virtconform.conformance.suites.shared import REPO

#: what setuptools prints when pyproject.toml says something it dislikes (license tables,
#: data directories not listed as packages, ...); pip's own notes about its index are not ours
_BUILD_WARNING = re.compile(r"SetuptoolsDeprecationWarning|SetuptoolsWarning|BuildBackendWarning|"
                            r"_DeprecatedInstaller|Package would be ignored")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("wheel")
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(REPO)],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        if "No matching distribution" in p.stderr or "Could not find a version" in p.stderr:
            pytest.skip(f"pip cannot fetch setuptools for the isolated build: {p.stderr.strip().splitlines()[-1]}")
        pytest.fail(f"pip wheel failed:\n{p.stderr[-2000:]}")
    wheels = list(out.glob("virtconform-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], p.stdout + p.stderr


def test_build_prints_no_setuptools_warning(wheel: tuple[Path, str]) -> None:
    _, log = wheel
    assert not _BUILD_WARNING.search(log), log[-3000:]


def test_wheel_carries_run_time_data(wheel: tuple[Path, str]) -> None:
    path, _ = wheel
    names = set(zipfile.ZipFile(path).namelist())
    for rel in ("virtconform/schemas/domain.rng", "virtconform/schemas/domain.rnc",
                "virtconform/conformance/cli/main.py", "virtconform/engine/qemu/disk.py"):
        assert rel in names, rel
    data = sorted(p.name for p in (REPO / "engine" / "caps" / "data").iterdir() if p.is_file())
    assert data and all(f"virtconform/engine/caps/data/{n}" in names for n in data)
    # every directory of Python modules is a package the wheel carries (none forgotten)
    for init in list((REPO / "engine").rglob("__init__.py")) + list((REPO / "conformance").rglob("__init__.py")):
        rel = init.relative_to(REPO).as_posix()
        assert f"virtconform/{rel}" in names, f"{rel}: not in [tool.setuptools] packages"
