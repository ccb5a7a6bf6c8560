"""The package works installed from a wheel: validation cases ship as package data, and
`thermal validate` runs from an empty folder and writes only where it is told."""
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.mark.jit_speed
def test_wheel_install_runs_quick_validation_from_an_empty_folder(tmp_path):
    # build from a copy: setuptools leaves build/ and egg-info beside the sources it builds
    src = tmp_path / "src"
    shutil.copytree(ROOT / "thermal", src / "thermal", ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(src)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(wheels.glob("thermal-*.whl"))
    # a fresh environment holding only the wheel; its dependencies come from this one's site-packages,
    # added by a .pth line (so this checkout's editable install, itself a .pth hook, is not seen)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target",
                              str(site), str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba_cache")
    # -We: a bare import of the installed package raises no warning (deprecations included)
    where = subprocess.run([str(venv / "bin" / "python"), "-We", "-c", "import thermal; print(thermal.__file__)"],
                           cwd=empty, env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr[-2000:]
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout
    run = subprocess.run([str(venv / "bin" / "python"), "-m", "thermal.cli", "validate", "--quick"], cwd=empty,
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert (empty / "out" / "validation" / "REPORT.md").is_file()
    written = {p.relative_to(empty).parts[0] for p in empty.rglob("*")}
    assert written == {"out"}, written
    # nothing was written into the installed package
    assert not [p for p in (site / "thermal").rglob("*") if p.suffix in (".h5", ".md", ".png")]
