#!/usr/bin/env python
"""Whole-process wall time and peak RSS of synth, the compliance gate and the unit tests.

    pipenv run python benchmarks/synth_benchmark.py            # 5 runs of every case
    pipenv run python benchmarks/synth_benchmark.py --runs 7 --only reference
    pipenv run python benchmarks/synth_benchmark.py --quick    # 1 run, small cases: a smoke test

Every case runs as its own process (the interpreter of this script, so run it with
``pipenv run``), and the cases are interleaved: run 1 of every case, then run 2, ...
so machine load hits all of them alike. Ratios are taken per run and then the median,
which is what the targets are checked against. Peak RSS is the largest of the process
and its waited-for children (the jsii node process), as ``wait4`` reports it, the same
number ``/usr/bin/time -v`` prints. Synth output goes to a temporary directory, never
to ./cdktf.out.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHECKOV = str(Path(PYTHON).with_name("checkov"))
HOST_COUNTS = (3, 30, 300)
TIER_COUNTS = (1, 5, 20)
REFERENCE_SPEEDUP_TARGET = 4.0
HOST_SCALING_TARGET = 2.0
GATE_SECONDS_TARGET = 20.0


@dataclass
class Case:
    """One command measured ``runs`` times."""

    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    outdir: Path | None = None
    walls: list[float] = field(default_factory=list)
    peaks_mb: list[float] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    phases_file: Path | None = None
    """Where the command writes its in-process phase seconds (``scaled_app.py --phases``), if it does."""
    phases: list[dict[str, float]] = field(default_factory=list)

    def synthesized(self) -> Path | None:
        """The first cdk.tf.json under this case's output directory."""
        if self.outdir is None:
            return None
        return next(iter(sorted(self.outdir.glob("stacks/*/cdk.tf.json"))), None)


def measure(case: Case) -> None:
    """Run the case once; record wall seconds, peak RSS of the process tree it waited for, and exit code."""
    if case.outdir is not None:
        shutil.rmtree(case.outdir, ignore_errors=True)
    if case.phases_file is not None:
        case.phases_file.unlink(missing_ok=True)
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", **case.env}
    start = time.perf_counter()
    process = subprocess.Popen(case.command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    case.walls.append(time.perf_counter() - start)
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    case.peaks_mb.append(usage.ru_maxrss / 1024)
    case.exit_codes.append(process.returncode)
    if process.returncode != 0 and not case.name.startswith(("gate", "unit")):
        raise SystemExit(f"{case.name} failed ({process.returncode}):\n{stderr[-3000:]}")
    if case.phases_file is not None:
        case.phases.append(json.loads(case.phases_file.read_text()))


def compliance_gate(workdir: Path) -> Case:
    """``python -m compliance`` (its synth runs the cdktf.json app command) if it runs, else synth + checkov."""
    gate_outdir = workdir / "gate"
    env = {"BC_SKIP_MAPPING": "TRUE", "CDKTF_OUTDIR": str(gate_outdir), "SECURE_WEB_PROVIDER_IMPORT": "lazy"}
    if _compliance_command_runs():
        return Case("gate: python -m compliance", [PYTHON, "-m", "compliance", "--reports-dir", str(gate_outdir)],
                    env, gate_outdir / "cdktf.out")
    script = (
        f'"{PYTHON}" main.py && "{CHECKOV}" -f "{gate_outdir}/stacks/secure-web/cdk.tf.json" '
        "--framework terraform_json --skip-download --external-checks-dir policies --quiet --compact"
    )
    return Case("gate: synth + checkov", ["/bin/sh", "-c", script], env, gate_outdir)


def _compliance_command_runs() -> bool:
    probe = subprocess.run([PYTHON, "-m", "compliance", "--help"], cwd=ROOT, capture_output=True, check=False)
    return probe.returncode == 0


def build_cases(workdir: Path, quick: bool, only: str | None) -> list[Case]:
    def outdir(name: str) -> Path:
        return workdir / name

    hosts = HOST_COUNTS[:2] if quick else HOST_COUNTS
    tiers = TIER_COUNTS[:2] if quick else TIER_COUNTS
    cases = [
        Case("reference, stock import", [PYTHON, "main.py"],
             {"SECURE_WEB_PROVIDER_IMPORT": "stock", "CDKTF_OUTDIR": str(outdir("stock"))}, outdir("stock")),
        Case("reference, lazy import", [PYTHON, "main.py"],
             {"SECURE_WEB_PROVIDER_IMPORT": "lazy", "CDKTF_OUTDIR": str(outdir("lazy"))}, outdir("lazy")),
        *(Case(f"hosts {count}", [PYTHON, "benchmarks/scaled_app.py", "--hosts", str(count), "--outdir",
                                  str(outdir(f"hosts{count}")), "--phases", str(workdir / f"hosts{count}.json")],
               {}, outdir(f"hosts{count}"), phases_file=workdir / f"hosts{count}.json") for count in hosts),
        *(Case(f"tiers {count}", [PYTHON, "benchmarks/scaled_app.py", "--tiers", str(count), "--outdir",
                                  str(outdir(f"tiers{count}"))], {}, outdir(f"tiers{count}")) for count in tiers),
        compliance_gate(workdir),
    ]
    if not quick:
        cases.append(Case("unit tests", [PYTHON, "-m", "pytest", "tests/unit", "-q", "-p", "no:cacheprovider"]))
    return [case for case in cases if only is None or only in case.name]


def resource_count(path: Path | None) -> int | None:
    if path is None or not path.exists():
        return None
    document = json.loads(path.read_text())
    return sum(len(blocks) for section in ("resource", "data") for blocks in document.get(section, {}).values())


def paired_ratio(numerator: Case, denominator: Case) -> float:
    """Median over runs of numerator/denominator, both measured in the same round."""
    return statistics.median(a / b for a, b in zip(numerator.walls, denominator.walls))


def print_table(cases: list[Case], runs: int) -> None:
    print(f"\n{runs} interleaved run(s) per case; wall seconds and peak RSS (process tree) medians\n")
    print(f"| {'case':<26} | {'wall median s':>13} | {'min–max s':>13} | {'peak RSS MB':>11} | {'resources':>9} | exit |")
    print(f"|{'-' * 28}|{'-' * 15}|{'-' * 15}|{'-' * 13}|{'-' * 11}|------|")
    for case in cases:
        count = resource_count(case.synthesized())
        exits = ",".join(sorted({str(code) for code in case.exit_codes}))
        print(f"| {case.name:<26} | {statistics.median(case.walls):>13.2f} | "
              f"{min(case.walls):>6.2f}–{max(case.walls):<6.2f} | {statistics.median(case.peaks_mb):>11.0f} | "
              f"{'' if count is None else count:>9} | {exits:>4} |")


def print_scaling(cases: dict[str, Case], prefix: str, counts: tuple[int, ...], unit: str) -> None:
    measured = [count for count in counts if f"{prefix} {count}" in cases]
    if len(measured) < 2:
        return
    base = cases[f"{prefix} {measured[0]}"]
    for count in measured[1:]:
        case = cases[f"{prefix} {count}"]
        extra = statistics.median(case.walls) - statistics.median(base.walls)
        print(f"{prefix} {count}: {paired_ratio(case, base):.2f}x the {prefix} {measured[0]} time; "
              f"{1000 * extra / (count - measured[0]):.0f} ms and "
              f"{(statistics.median(case.peaks_mb) - statistics.median(base.peaks_mb)) / (count - measured[0]):.1f} MB "
              f"per extra {unit}")


def print_phases(cases: dict[str, Case]) -> None:
    """Where the host cases' time goes, and the least the largest could take if building cost nothing."""
    measured = [case for count in HOST_COUNTS if (case := cases.get(f"hosts {count}")) is not None and case.phases]
    if not measured:
        return
    print("\nHost cases, in-process phases (medians, s): import = cdktf + provider modules + node; "
          "build = constructing the stack; synth = app.synth(); rest = interpreter start and exit")
    print(f"| {'case':<10} | {'wall':>6} | {'import':>6} | {'build':>6} | {'synth':>6} | {'rest':>6} |")
    print(f"|{'-' * 12}|{'-' * 8}|{'-' * 8}|{'-' * 8}|{'-' * 8}|{'-' * 8}|")
    for case in measured:
        phase = {name: statistics.median(run[name] for run in case.phases) for name in ("import", "build", "synth")}
        wall = statistics.median(case.walls)
        print(f"| {case.name:<10} | {wall:6.2f} | {phase['import']:6.2f} | {phase['build']:6.2f} | "
              f"{phase['synth']:6.2f} | {wall - sum(phase.values()):6.2f} |")
    if len(measured) >= 2:
        small, large = measured[0], measured[-1]
        # Per run: everything the small case does (the large stack holds all of it), with
        # the large case's synth phase (cdktf's JavaScript alone on the large tree) in place
        # of the small one's: the large case's wall if its extra hosts cost nothing to build.
        floors = [(wall - run_s["synth"] + run_l["synth"]) / wall
                  for wall, run_s, run_l in zip(small.walls, small.phases, large.phases)]
        print(f"{large.name} if its extra hosts cost nothing to build ({small.name}'s wall with "
              f"{large.name}'s synth phase): {statistics.median(floors):.2f}x the {small.name} time")


def print_targets(cases: dict[str, Case]) -> None:
    print("\nTargets (ratios are per-run pairs, median):")
    stock, lazy = cases.get("reference, stock import"), cases.get("reference, lazy import")
    if stock and lazy:
        ratio = paired_ratio(stock, lazy)
        same = stock.synthesized() is not None and stock.synthesized().read_bytes() == lazy.synthesized().read_bytes()
        print(f"- reference synth >= {REFERENCE_SPEEDUP_TARGET:.0f}x faster than stock: {ratio:.2f}x "
              f"-> {'HOLDS' if ratio >= REFERENCE_SPEEDUP_TARGET else 'FAILS'}; "
              f"cdk.tf.json byte-identical: {'yes' if same else 'NO'}")
    small, large = cases.get(f"hosts {HOST_COUNTS[0]}"), cases.get(f"hosts {HOST_COUNTS[-1]}")
    if small and large:
        ratio = paired_ratio(large, small)
        print(f"- {HOST_COUNTS[-1]}-host synth <= {HOST_SCALING_TARGET:.0f}x the {HOST_COUNTS[0]}-host synth: "
              f"{ratio:.2f}x -> {'HOLDS' if ratio <= HOST_SCALING_TARGET else 'FAILS'}")
    gate = next((case for name, case in cases.items() if name.startswith("gate")), None)
    if gate:
        wall = statistics.median(gate.walls)
        print(f"- compliance gate < {GATE_SECONDS_TARGET:.0f} s wall ({gate.name}): {wall:.2f} s "
              f"-> {'HOLDS' if wall < GATE_SECONDS_TARGET else 'FAILS'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs per case. Default: 5 (1 with --quick).")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: 1 run, without {HOST_COUNTS[-1]} hosts, {TIER_COUNTS[-1]} tiers and unit tests")
    parser.add_argument("--only", help="measure only the cases whose name contains this text, e.g. 'reference'")
    args = parser.parse_args(argv)
    runs = 1 if args.quick and args.runs == 5 else args.runs
    with tempfile.TemporaryDirectory(prefix="synth-benchmark-") as workdir:
        cases = build_cases(Path(workdir), args.quick, args.only)
        for run in range(1, runs + 1):
            for case in cases:
                measure(case)
                print(f"run {run}/{runs} {case.name}: {case.walls[-1]:.2f} s, {case.peaks_mb[-1]:.0f} MB",
                      file=sys.stderr, flush=True)
        by_name = {case.name: case for case in cases}
        print_table(cases, runs)
        print()
        print_scaling(by_name, "hosts", HOST_COUNTS, "host")
        print_scaling(by_name, "tiers", TIER_COUNTS, "tier")
        print_phases(by_name)
        print_targets(by_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
