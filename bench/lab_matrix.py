"""Data channel bulk throughput through the lab harness (``../shared/lab``), one table of ratios.

Every case is one ``run.py --scenario dc-bulk`` between two processes in two network
namespaces (16 KiB messages, bufferedAmount backpressure at 1 MiB / 256 KiB): the figures
are what the offerer measures (``mbps``, MB/s) and, from the harness's CPU sampler, each
side's CPU seconds per MB during the transfer. The cases run interleaved, ``--repeat`` times;
medians are reported, each next to the reference it is compared with in the same run:

* ours → Chromium against Chromium → Chromium (issue 6);
* ours ↔ ours against aiortc ↔ aiortc, on stock asyncio and on uvloop (issue 5's two-process
  figure; aiortc gets uvloop through ``bench/on_uvloop.py``);
* the same over ``--netem "delay 20ms loss 1%"`` (user-space TUN relay), where issue 5's
  target is Chromium's rate.

    python3 bench/lab_matrix.py [--repeat 3] [--bytes 67108864] [--netem-bytes 8388608]
                                [--only ours-ours,aiortc-aiortc] [--jsonl out.jsonl]

Needs root and the lab's set-up (``bash ../shared/lab/setup.sh``). Takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT.parent / "shared" / "lab"
PYTHON = ROOT / ".venv" / "bin" / "python"
OURS = f"cmd:{PYTHON} -u {ROOT / 'examples' / 'lab_peer.py'}"
OURS_UV = OURS + " --uvloop"
AIORTC_UV = f"cmd:{PYTHON} -u {ROOT / 'bench' / 'on_uvloop.py'} {LAB / 'peers' / 'aiortc_peer.py'}"
NETEM = "delay 20ms loss 1%"
LOCK_WAIT = 600.0


@dataclass(frozen=True)
class Case:
    name: str
    offer: str
    answer: str
    netem: bool = False
    reference: str | None = None
    """The case this one is compared with (ratio of MB/s)."""


CASES = [
    Case("chromium-chromium", "chromium", "chromium"),
    Case("ours-chromium", OURS, "chromium", reference="chromium-chromium"),
    Case("chromium-ours", "chromium", OURS, reference="chromium-chromium"),
    Case("aiortc-aiortc", "aiortc", "aiortc"),
    Case("ours-ours", OURS, OURS, reference="aiortc-aiortc"),
    Case("aiortc-aiortc/uvloop", AIORTC_UV, AIORTC_UV),
    Case("ours-ours/uvloop", OURS_UV, OURS_UV, reference="aiortc-aiortc/uvloop"),
    Case("chromium-chromium/netem", "chromium", "chromium", netem=True),
    Case("ours-chromium/netem", OURS, "chromium", netem=True, reference="chromium-chromium/netem"),
    Case("aiortc-aiortc/netem", "aiortc", "aiortc", netem=True),
    Case("ours-ours/netem", OURS, OURS, netem=True, reference="chromium-chromium/netem"),
    Case(
        "ours-ours/uvloop/netem", OURS_UV, OURS_UV, netem=True, reference="chromium-chromium/netem"
    ),
]


def run_case(case: Case, size: int, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, str(LAB / "run.py"), "--offer", case.offer, "--answer", case.answer]
    cmd += ["--scenario", "dc-bulk", "--bytes", str(size), "--timeout", str(timeout)]
    if case.netem:
        cmd += ["--netem", NETEM]
    deadline = time.monotonic() + LOCK_WAIT
    while True:  # one harness run at a time on the machine: wait while another holds it
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout + 60, check=False
        )
        if proc.returncode != 2 or "run.lock" not in proc.stderr:
            break
        if time.monotonic() > deadline:
            return {"ok": False, "error": "the lab stayed busy (run.lock) for 10 minutes"}
        time.sleep(1.0)
    lines = proc.stdout.strip().splitlines()
    if not lines:
        return {"ok": False, "error": f"no summary (exit {proc.returncode}): {proc.stderr[-300:]}"}
    summary: dict[str, Any] = json.loads(lines[-1])
    return summary


def figures(summary: dict[str, Any]) -> dict[str, float] | None:
    """MB/s and CPU s/MB of each side during the transfer, from one summary."""
    a = summary.get("a") or {}
    result = a.get("result") or {}
    if not summary.get("ok") or "mbps" not in result:
        return None
    megabytes = result["bytes"] / 1e6
    out = {"mbps": result["mbps"], "seconds": result["seconds"]}
    for side in ("a", "b"):
        pct = (summary.get(side) or {}).get("cpu_pct_xfer")
        if pct is not None:
            out[f"cpu_{side}"] = pct / 100 * result["seconds"] / megabytes
    return out


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--bytes", type=int, default=64 * 1024 * 1024)
    parser.add_argument("--netem-bytes", type=int, default=8 * 1024 * 1024)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--jsonl", default=None, help="append every summary to this file")
    args = parser.parse_args()
    chosen = [c for c in CASES if not args.only or c.name in args.only.split(",")]
    runs: dict[str, list[dict[str, float]]] = {c.name: [] for c in chosen}
    failures: dict[str, list[str]] = {c.name: [] for c in chosen}
    for round_ in range(args.repeat):
        for case in chosen:
            size = args.netem_bytes if case.netem else args.bytes
            summary = run_case(case, size, args.timeout)
            if args.jsonl:
                with open(args.jsonl, "a") as f:
                    f.write(json.dumps({"case": case.name, "round": round_, **summary}) + "\n")
            got = figures(summary)
            if got is None:
                failures[case.name].append(str(summary.get("error"))[:120])
                print(f"[{round_}] {case.name}: FAILED {summary.get('error')}", file=sys.stderr)
            else:
                runs[case.name].append(got)
                print(f"[{round_}] {case.name}: {got['mbps']:.2f} MB/s", file=sys.stderr)

    mbps = {name: median([r["mbps"] for r in rs]) for name, rs in runs.items()}
    print(f"dc-bulk, {args.bytes} B clean / {args.netem_bytes} B with netem '{NETEM}',")
    print(f"median of {args.repeat}; CPU s/MB during the transfer (a = sender, b = receiver)")
    header = f"{'case':26} {'MB/s':>7} {'cpu a s/MB':>11} {'cpu b s/MB':>11}  ratio (vs)"
    print(header)
    print("-" * len(header))
    for case in chosen:
        rs = runs[case.name]
        if not rs:
            print(f"{case.name:26} failed: {'; '.join(failures[case.name])}")
            continue
        cpu_a = median([r["cpu_a"] for r in rs if "cpu_a" in r])
        cpu_b = median([r["cpu_b"] for r in rs if "cpu_b" in r])
        ratio = ""
        ref = mbps.get(case.reference) if case.reference else None
        if ref:
            ratio = f"{(mbps[case.name] or 0) / ref:.2f}x ({case.reference})"
        line = f"{case.name:26} {mbps[case.name]:7.2f} "
        line += f"{cpu_a:11.4f} " if cpu_a is not None else f"{'-':>11} "
        line += f"{cpu_b:11.4f}  " if cpu_b is not None else f"{'-':>11}  "
        print(
            line + ratio + (f"  [{len(failures[case.name])} failed]" if failures[case.name] else "")
        )


if __name__ == "__main__":
    main()
