"""``secure-web compliance [APP_DIR]``: synthesize a cdktf app, scan every stack, report, fail on any failure.

Exit status: 0 nothing failed (after reasoned skips), 1 a check failed (or a consumer
skip expired or matches nothing), 2 the app did not synthesize or the input is invalid
(invalid props, a malformed skips file, parsing errors, a stack with no resources, no
checkov or terraform).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from ..controls import FRAMEWORKS
from ..terraform_check import TerraformUnavailable, terraform_binary
from .baseline import BaselineError, apply_baseline, create_baseline, load_baseline
from .diagram import architecture_dot, render
from .findings import construct_paths
from .html import html_report
from .reports import framework_summary, junit_xml, markdown, sarif, write
from .scan import FAILED, PASSED, SKIPPED, ScanError, run_checkov
from .skips import InvalidSkipsError, apply_skips, load_consumer_skips, load_documents, load_library_skips
from .terraform import TERRAFORM_CHECK_ID, terraform_results

INVALID_PROPS = re.compile(r"InvalidPropsError: (.*)", re.DOTALL)


class SynthError(RuntimeError):
    """The app did not synthesize; the message is what a user needs, without a traceback."""


def app_command(app_dir: Path) -> str:
    """The cdktf.json "app" command, without a nested ``pipenv run`` when already inside pipenv."""
    config = app_dir / "cdktf.json"
    command = json.loads(config.read_text()).get("app") if config.exists() else None
    if not command:
        raise SynthError(f"{config}: no \"app\" command to synthesize with")
    if command.startswith("pipenv run ") and (os.environ.get("PIPENV_ACTIVE") or os.environ.get("VIRTUAL_ENV")):
        command = command.removeprefix("pipenv run ")
    if command.split()[0] in ("python", "python3"):
        command = " ".join([shlex.quote(sys.executable), *command.split()[1:]])
    return command


def synthesize(app_dir: Path, outdir: Path) -> Path:
    """Run the app with CDKTF_OUTDIR=outdir; raise SynthError with the app's own message on failure."""
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.parent.mkdir(parents=True, exist_ok=True)  # cdktf creates outdir itself, but not its parents
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    completed = subprocess.run(app_command(app_dir), shell=True, cwd=app_dir, env=env, capture_output=True,
                               text=True, check=False)
    if completed.returncode != 0:
        raise SynthError(_synth_message(completed.stderr) or f"synthesis failed (exit {completed.returncode})")
    return outdir


def _synth_message(stderr: str) -> str:
    if "Traceback" in stderr:
        match = INVALID_PROPS.search(stderr)
        if match:
            return "invalid props:\n" + match.group(1).strip()
        return stderr.strip().splitlines()[-1]
    return "\n".join(line for line in stderr.strip().splitlines() if "SecureDefaultWeakened" not in line)


def stack_files(outdir: Path) -> list[Path]:
    return sorted(outdir.glob("stacks/*/cdk.tf.json"))


def weakened_defaults(documents: Mapping[str, Mapping]) -> dict[str, list[dict]]:
    """Stack name -> the weakened defaults its JSON records under ``"//".secure_web``."""
    found = {}
    for file, document in documents.items():
        comment = document.get("//") or {}
        found[Path(file).parent.name] = list((comment.get("secure_web") or {}).get("weakened_defaults") or [])
    return found


def summary_table(results) -> str:
    rows = Counter((_category(r), r.status) for r in results)
    lines = [f"{'checks':<22}{'passed':>8}{'failed':>8}{'skipped':>9}"]
    for label in ("built-in (checkov)", "CKV_SWEB policies", "terraform (offline)"):
        lines.append(f"{label:<22}{rows[(label, PASSED)]:>8}{rows[(label, FAILED)]:>8}{rows[(label, SKIPPED)]:>9}")
    return "\n".join(lines)


def _category(result) -> str:
    if result.check_id == TERRAFORM_CHECK_ID:
        return "terraform (offline)"
    return "CKV_SWEB policies" if result.custom else "built-in (checkov)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="secure-web compliance", description=__doc__.splitlines()[0])
    parser.add_argument("app_dir", nargs="?", type=Path, default=Path("."),
                        help="cdktf app directory (its cdktf.json 'app' command synthesizes). Default: the current one.")
    parser.add_argument("--synth-dir", type=Path, help="scan this existing cdktf.out instead of synthesizing")
    parser.add_argument("--reports-dir", type=Path, default=Path("reports"), help="Default: ./reports")
    parser.add_argument("--skips", type=Path,
                        help="your reasoned skips (YAML: check, resource, reason, owner, expires per entry)")
    baseline = parser.add_mutually_exclusive_group()
    baseline.add_argument("--create-baseline", type=Path, metavar="FILE",
                          help="record every current failure (after skips; never Terraform's check) in FILE "
                               "(JSON if it ends in .json, else YAML) and accept them")
    baseline.add_argument("--baseline", type=Path, metavar="FILE",
                          help="accept the failures FILE lists (reported as baselined) and fail only on new ones; "
                               "entries that match nothing are reported for removal")
    parser.add_argument("--framework", choices=tuple(FRAMEWORKS), metavar="NAME",
                        help=f"report controls of one framework only ({', '.join(FRAMEWORKS)}); the exit status "
                             "still counts every check. Default: all of them")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    reports_dir: Path = args.reports_dir.resolve()
    try:
        skips = load_library_skips()
        if args.skips is not None:
            skips += load_consumer_skips(args.skips)
        baseline = load_baseline(args.baseline) if args.baseline is not None else None
        terraform = terraform_binary()
        outdir = args.synth_dir.resolve() if args.synth_dir else synthesize(args.app_dir.resolve(),
                                                                           reports_dir / "cdktf.out")
        files = stack_files(outdir)
        if not files:
            raise ScanError(f"no stacks/*/cdk.tf.json under {outdir}")
        scan = run_checkov(files)
        empty = [file for file, count in scan.resource_counts.items() if count == 0]
        if empty:
            raise ScanError(f"stacks with no resources: {', '.join(empty)}")
    except (SynthError, ScanError, InvalidSkipsError, BaselineError, TerraformUnavailable) as error:
        print(f"compliance: {error}", file=sys.stderr)
        return 2

    documents = load_documents(files)  # read once; every report below works from these
    outcome = apply_skips(list(scan.results), skips, documents)
    results = outcome.results + terraform_results(documents, terraform=terraform)
    paths = construct_paths(documents)
    if args.create_baseline is not None:
        baseline = create_baseline(args.create_baseline, results, paths)
        print(f"baseline: recorded {len(baseline.entries)} failures in {args.create_baseline} "
              f"(Terraform's check is never baselined)")
    baselined = apply_baseline(results, baseline, paths) if baseline is not None else None
    results = baselined.results if baselined is not None else results
    baseline_report = baselined.markdown() if baselined is not None else ""
    weakened = weakened_defaults(documents)
    diagrams = []
    for file in files:
        stack_results = [r for r in results if r.file == str(file.resolve())]
        base = reports_dir / f"architecture-{file.parent.name}"
        diagrams += render(architecture_dot(file, stack_results), base)
    picture = next((p.name for p in diagrams if p.suffix == ".png"), None)
    written = [
        write(reports_dir / "compliance.junit.xml", junit_xml(results)),
        write(reports_dir / "compliance.sarif", sarif(results, paths)),
        write(reports_dir / "compliance.md", markdown(results, skips=outcome.applied, problems=outcome.problems,
                                                     weakened=weakened, resource_counts=scan.resource_counts,
                                                     diagram=picture, framework=args.framework) + baseline_report),
        write(reports_dir / "compliance.html", html_report(results, skips=outcome.applied, problems=outcome.problems,
                                                           weakened=weakened, resource_counts=scan.resource_counts,
                                                           documents=documents, pictures=diagrams)),
        *diagrams,
    ]

    print(summary_table(results))
    print(framework_summary(results, args.framework))
    if baselined is not None:
        print("\n".join(baselined.summary_lines()))
    failures = [r for r in results if r.status == FAILED]
    for result in failures:
        print(f"FAILED {result.check_id} {result.address} ({result.stack}): {result.reason or result.check_name}")
    for problem in outcome.problems:
        print(f"FAILED skips: {problem}")
    for stack, records in weakened.items():
        for record in records:
            print(f"weakened default in {stack}: {record.get('path')} {record.get('field')}="
                  f"{record.get('given')} (secure default {record.get('default')})")
    print("reports: " + ", ".join(os.path.relpath(p, Path.cwd()) for p in written))
    return 1 if failures or outcome.problems else 0


if __name__ == "__main__":
    sys.exit(main())
