#!/usr/bin/env python
"""Whole-process wall time and peak RSS of synth, the compliance gate and the unit tests.

    pipenv run python benchmarks/synth_benchmark.py            # 5 runs of every case
    pipenv run python benchmarks/synth_benchmark.py --runs 7 --only reference
    pipenv run python benchmarks/synth_benchmark.py --quick    # 1 run, small cases: a smoke test
    pipenv run python benchmarks/synth_benchmark.py --only consumer

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
HOST_COUNTS = (3, 30, 300)
TIER_COUNTS = (1, 5, 20)
REFERENCE_SPEEDUP_TARGET = 4.0
CONSUMER_SPEEDUP_TARGET = 4.0
HOST_SCALING_TARGET = 2.0
GATE_SECONDS_TARGET = 10.0
FLOOR_CASE = "reference floor: import cdktf"
FLOOR_RATIO_TARGET = 3.0

# A consumer's app: its own provider imports, the usual way, and one of our constructs.
# The "secure_web.aws first" case puts ``import secure_web.aws`` before them.
CONSUMER_APP = """
import sys

import cdktf
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA

from secure_web import Network, NetworkProps

app = cdktf.App(outdir=sys.argv[1])
stack = cdktf.TerraformStack(app, "consumer")
AwsProvider(stack, "aws", region="eu-west-1")
bucket = S3Bucket(stack, "assets", bucket="consumer-assets")
S3BucketVersioningA(stack, "assets-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"})
Network(stack, "network", NetworkProps())
app.synth()
"""


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
    """``secure-web compliance`` on the reference stack: synth (the cdktf.json app command), checkov, Terraform."""
    gate_outdir = workdir / "gate"
    env = {"BC_SKIP_MAPPING": "TRUE", "SECURE_WEB_PROVIDER_IMPORT": "lazy"}
    return Case("gate: secure-web compliance", [PYTHON, "-m", "secure_web.cli", "compliance", "--reports-dir",
                                                 str(gate_outdir)], env, gate_outdir / "cdktf.out")


CONSUMER_CASES = {"consumer, plain": "", "consumer, secure_web first": "import secure_web.aws\n"}


def consumer_case(name: str, prelude: str, outdir: Path) -> Case:
    """``CONSUMER_APP``, run as a consumer would (secure_web on the path, no main.py), after ``prelude``."""
    return Case(name, [PYTHON, "-c", prelude + CONSUMER_APP, str(outdir)],
                {"PYTHONPATH": str(ROOT / "constructs"), "SECURE_WEB_PROVIDER_IMPORT": "lazy"}, outdir)


def build_cases(workdir: Path, quick: bool, only: str | None) -> list[Case]:
    def outdir(name: str) -> Path:
        return workdir / name

    hosts = HOST_COUNTS[:2] if quick else HOST_COUNTS
    tiers = TIER_COUNTS[:2] if quick else TIER_COUNTS
    cases = [
        Case(FLOOR_CASE, [PYTHON, "-c", "import cdktf"]),
        Case("reference, stock import", [PYTHON, "main.py"],
             {"SECURE_WEB_PROVIDER_IMPORT": "stock", "CDKTF_OUTDIR": str(outdir("stock"))}, outdir("stock")),
        Case("reference, typed classes", [PYTHON, "main.py"],
             {"SECURE_WEB_PROVIDER_IMPORT": "typed", "CDKTF_OUTDIR": str(outdir("typed"))}, outdir("typed")),
        Case("reference, lazy import", [PYTHON, "main.py"],
             {"SECURE_WEB_PROVIDER_IMPORT": "lazy", "CDKTF_OUTDIR": str(outdir("lazy"))}, outdir("lazy")),
        *(Case(f"hosts {count}", [PYTHON, "benchmarks/scaled_app.py", "--hosts", str(count), "--outdir",
                                  str(outdir(f"hosts{count}")), "--phases", str(workdir / f"hosts{count}.json")],
               {}, outdir(f"hosts{count}"), phases_file=workdir / f"hosts{count}.json") for count in hosts),
        *(Case(f"tiers {count}", [PYTHON, "benchmarks/scaled_app.py", "--tiers", str(count), "--outdir",
                                  str(outdir(f"tiers{count}"))], {}, outdir(f"tiers{count}")) for count in tiers),
        compliance_gate(workdir),
        *(consumer_case(name, prelude, outdir(f"consumer{index}"))
          for index, (name, prelude) in enumerate(CONSUMER_CASES.items())),
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
    typed = cases.get("reference, typed classes")
    if typed and lazy:
        ratio = paired_ratio(typed, lazy)
        same = typed.synthesized() is not None and typed.synthesized().read_bytes() == lazy.synthesized().read_bytes()
        print(f"- direct classes (the default) against the typed bindings (SECURE_WEB_PROVIDER_IMPORT=typed): "
              f"{ratio:.2f}x faster; cdk.tf.json byte-identical: {'yes' if same else 'NO'}")
    floor = cases.get(FLOOR_CASE)
    if floor and lazy:
        ratio = paired_ratio(lazy, floor)
        print(f"- reference synth <= {FLOOR_RATIO_TARGET:.0f}x `python -c 'import cdktf'`: {ratio:.2f}x "
              f"({statistics.median(lazy.walls):.2f} s vs {statistics.median(floor.walls):.2f} s) "
              f"-> {'HOLDS' if ratio <= FLOOR_RATIO_TARGET else 'FAILS'}")
    plain, first = (cases.get(name) for name in CONSUMER_CASES)
    if plain and first:
        ratio = paired_ratio(plain, first)
        written = [case.synthesized() for case in (plain, first)]
        same = None not in written and written[0].read_bytes() == written[1].read_bytes()
        print(f"- consumer synth with `import secure_web.aws` first >= {CONSUMER_SPEEDUP_TARGET:.0f}x faster than "
              f"without: {ratio:.2f}x -> {'HOLDS' if ratio >= CONSUMER_SPEEDUP_TARGET else 'FAILS'}; "
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
