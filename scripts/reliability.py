"""Run the whole fault matrix through the real plugin and write RELIABILITY.md.

Usage: python scripts/reliability.py [output path, default RELIABILITY.md at the repo root].
Exits 1 when any case shows a duplicate, a leak, a loss, wrong tags or an unclear error.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sg_snapshot_provider.emulator import Emulator

# The engine harness (sg_snapshot_harness) is a development package of this repository: the
# wheel ships only sg_snapshot_provider, so the repository root goes on the path.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sg_snapshot_harness.faults_matrix import (  # noqa: E402
    cases,
    render_markdown,
    run_case,
    start_matrix_plugin,
)


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else REPO_ROOT / "RELIABILITY.md"
    started = time.monotonic()
    with Emulator() as emulator:
        plugin = start_matrix_plugin(emulator.url, cwd=REPO_ROOT)
        try:
            outcomes = []
            for case in cases():
                outcome = run_case(plugin, emulator, case)
                verdict = "ok" if outcome.succeeded else "error"
                print(f"{case.id}: {verdict}", flush=True)
                outcomes.append(outcome)
        finally:
            plugin.cleanup()
    target.write_text(render_markdown(outcomes, time.monotonic() - started))
    print(f"wrote {target}")
    bad = [
        o
        for o in outcomes
        if not (o.clear_error and o.after_step.clean and o.after_rerun.clean and not o.problems)
    ]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
