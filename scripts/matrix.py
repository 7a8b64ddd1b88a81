"""`make test-matrix`: the tests at each end of every version range the package declares.

``pyproject.toml`` allows ``pulumi>=3.216,<4``, ``boto3>=1.35.18``, ``moto[server]>=5.2.5``
(emulator), ``pulumi-aws>=6,<8`` (examples) and Python 3.11 to 3.13. The main venv (``make
test``) holds the newest of each on Python 3.11; each lane here builds its own venv under
``.matrix/<lane>`` with other versions and runs the tests that depend on them:

- ``floor``: Python 3.11 with the lowest release of every range;
- ``py3.12``, ``py3.13``: the newest releases on the other Pythons the classifiers name.

Usage: ``python scripts/matrix.py [LANE ...]`` (default: every lane). Exits 1 when a lane's tests
fail, 2 when a lane's Python is not installed (it names where it looked).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MATRIX_DIR = REPO_ROOT / ".matrix"

#: The tests that exercise the versions a lane changes: the plugin and engine protocol
#: (pulumi), the AWS layer and the emulator (boto3, botocore, moto), the examples (pulumi-aws);
#: the unit tests catch a Python release's changes to the standard library.
LANE_TESTS = ("tests/unit", "tests/aws_layer", "tests/emulator", "tests/engine", "tests/examples")


@dataclass(frozen=True)
class Lane:
    name: str
    python: str
    #: Requirements installed over the package's ``[emulator,test]`` extras.
    pins: tuple[str, ...] = ()


LANES = (
    Lane(
        "floor",
        "3.11",
        (
            # ReadResult.inputs (Read returning the inputs EC2 has) arrived in 3.216.
            "pulumi==3.216.0",
            # The first botocore whose Storage Gateway model has VolumeARN's pattern, which the
            # emulator validates requests with.
            "boto3==1.35.18",
            "botocore==1.35.18",
            # The first moto with MotoRequestHandler, which the emulator's server extends.
            "moto[server]==5.2.5",
            "pulumi-aws==6.0.2",
        ),
    ),
    Lane("py3.12", "3.12"),
    Lane("py3.13", "3.13"),
)


def find_python(version: str) -> Path | None:
    """A working Python 3.X: a pyenv install, else ``python3.X`` on PATH (a pyenv shim on PATH
    may name a version that is not installed, so each candidate is run once)."""
    candidates = [
        directory / "bin" / "python"
        for directory in sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*"))
    ]
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.exists() and _runs(candidate):
            return candidate
    return None


def _runs(interpreter: Path) -> bool:
    probe = subprocess.run([str(interpreter), "-c", "pass"], capture_output=True, check=False)
    return probe.returncode == 0


def build_venv(lane: Lane, python: Path) -> Path:
    """The lane's venv, built once per ``pyproject.toml`` and set of pins."""
    venv = MATRIX_DIR / lane.name
    stamp = venv / ".installed"
    wanted = "\n".join([(REPO_ROOT / "pyproject.toml").read_text(), *lane.pins])
    if stamp.exists() and stamp.read_text() == wanted:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{REPO_ROOT}[emulator,test]", *lane.pins], check=True)
    stamp.write_text(wanted)
    return venv


def installed_versions(venv: Path) -> str:
    listing = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wanted = ("pulumi==", "pulumi-aws==", "pulumi_aws==", "boto3==", "botocore==", "moto==")
    return ", ".join(line for line in listing.splitlines() if line.lower().startswith(wanted))


def run_lane(lane: Lane) -> int:
    python = find_python(lane.python)
    if python is None:
        print(
            f"{lane.name}: Python {lane.python} is not installed (looked for python{lane.python} "
            "on PATH and in ~/.pyenv/versions)",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    venv = build_venv(lane, python)
    print(f"{lane.name}: Python {lane.python}; {installed_versions(venv)}", flush=True)
    tests = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *LANE_TESTS],
        cwd=REPO_ROOT,
    )
    verdict = "passed" if tests.returncode == 0 else "FAILED"
    print(f"{lane.name}: {verdict} in {time.monotonic() - started:.0f} s", flush=True)
    return 0 if tests.returncode == 0 else 1


def main(argv: list[str]) -> int:
    known = {lane.name: lane for lane in LANES}
    unknown = [name for name in argv if name not in known]
    if unknown:
        print(f"unknown lane(s) {', '.join(unknown)}; lanes: {', '.join(known)}", file=sys.stderr)
        return 2
    chosen = [known[name] for name in argv] if argv else list(LANES)
    return max(run_lane(lane) for lane in chosen)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
