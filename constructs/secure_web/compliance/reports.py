"""JUnit XML, SARIF 2.1.0 and Markdown from a scan's results."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from ..controls import (FRAMEWORKS, HELP_BASE, LEVELS, checks_by_control, frameworks_for, help_uri, sarif_rule,
                        sentence, severity, tool_version, where_checked)
from .findings import finding_key
from .requirements import REQUIREMENTS
from .scan import FAILED, PASSED, SKIPPED, Result, stack_name
from .skips import Skip


def junit_xml(results: list[Result]) -> str:
    """One testsuite per (stack, check), one testcase per resource."""
    suites = ET.Element("testsuites", name="secure_web compliance")
    grouped: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for result in results:
        grouped[(result.stack, result.check_id)].append(result)
    for (stack, check_id), members in sorted(grouped.items()):
        counts = Counter(r.status for r in members)
        suite = ET.SubElement(suites, "testsuite", name=f"{stack}: {check_id} {members[0].check_name}",
                              tests=str(len(members)), failures=str(counts[FAILED]), skipped=str(counts[SKIPPED]))
        for result in members:
            case = ET.SubElement(suite, "testcase", classname=f"{stack}.{check_id}", name=result.address,
                                 file=_relative(result.file))
            if result.status == FAILED:
                ET.SubElement(case, "failure", message=f"{check_id} failed on {result.address}",
                              type="terraform" if result.check_id == "TF_OFFLINE_VALIDATE" else "checkov").text = result.reason or result.check_name
            elif result.status == SKIPPED:
                ET.SubElement(case, "skipped", message=result.reason)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def sarif(results: list[Result], paths: Mapping[tuple[str, str], str]) -> str:
    """SARIF 2.1.0 for code scanning: one result per failed or skipped finding, rules with their controls.

    ``paths`` is ``findings.construct_paths`` of the scanned documents. A finding is a check on
    a construct path (``findings.finding_key``); the same key twice in one stack file is one
    result (a failure wins over a skip). Its ``partialFingerprints`` hold that key, so code
    scanning recognises the finding across synths and unrelated changes; skips carry a
    suppression with their reason. Levels and ``security-severity`` come from
    ``secure_web.controls``; rule tags name every control the check evidences.
    """
    names = {r.check_id: r.check_name for r in results}
    rule_ids = sorted(names)
    lines = _block_lines(results)
    findings = sorted(_findings(results, paths).items(), key=lambda item: (_artifact_uri(item[0][0]), item[0][1]))
    sarif_results = []
    for (file, key), result in findings:
        path = paths.get((result.file, result.address))
        entry = {
            "ruleId": result.check_id, "ruleIndex": rule_ids.index(result.check_id),
            "level": LEVELS[severity(result.check_id)],
            "message": {"text": f"{sentence(result.check_name)} Resource {result.address}"
                                + (f" (construct {path})" if path else "") + "."
                                + (f" {result.reason}" if result.status == FAILED and result.reason else "")},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": _artifact_uri(file)},
                                     "region": {"startLine": lines.get((file, result.address), 1)}},
                "logicalLocations": [{"name": (path or result.address).rsplit("/", 1)[-1],
                                      "fullyQualifiedName": path or result.address, "kind": "resource"}],
            }],
            "partialFingerprints": {FINGERPRINT: key},
        }
        if result.status == SKIPPED:
            entry["suppressions"] = [{"kind": "external", "justification": result.reason}]
        sarif_results.append(entry)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "checkov (secure_web compliance)", "version": tool_version(),
                                "informationUri": f"{HELP_BASE}README.md#compliance",
                                "rules": [_rule(rule_id, names[rule_id]) for rule_id in rule_ids]}},
            "results": sarif_results,
        }],
    }
    return json.dumps(document, indent=2)


FINGERPRINT = "secureWebFindingKey/v1"
"""The ``partialFingerprints`` entry: ``findings.finding_key`` (check id + construct path)."""


def _findings(results: list[Result], paths: Mapping[tuple[str, str], str]) -> dict[tuple[str, str], Result]:
    """(file, finding key) -> the result to report: failures before skips; two failures' reasons joined."""
    found: dict[tuple[str, str], Result] = {}
    for result in results:
        if result.status not in (FAILED, SKIPPED):
            continue
        key = (result.file, finding_key(result, paths))
        seen = found.get(key)
        if seen is None or (seen.status == SKIPPED and result.status == FAILED):
            found[key] = result
        elif seen.status == result.status == FAILED and result.reason and result.reason not in seen.reason:
            found[key] = replace(seen, reason="\n".join(filter(None, (seen.reason, result.reason))))
    return found


def _block_lines(results: list[Result]) -> dict[tuple[str, str], int]:
    """(file, address) -> the first line of its block, as checkov reported it (Terraform's results carry none)."""
    lines: dict[tuple[str, str], int] = {}
    for result in results:
        block = (result.file, result.address)
        if result.line > 1:
            lines[block] = min(result.line, lines.get(block, result.line))
    return lines


def _rule(check_id: str, name: str) -> dict:
    return sarif_rule(check_id, name, help_link=help_uri(check_id),
                      links_markdown=f"[The control mapping]({help_uri(check_id)})")


def _artifact_uri(file: str) -> str:
    """Relative to the working directory (the repository root in CI) where the file is under it, else a file URI."""
    path = Path(file).resolve()
    try:
        return quote(path.relative_to(Path.cwd().resolve()).as_posix())
    except ValueError:
        return path.as_uri()


def _relative(file: str) -> str:
    try:
        return os.path.relpath(file, Path.cwd())
    except ValueError:
        return file


def _mark(results: list[Result]) -> str:
    counts = Counter(r.status for r in results)
    if not results:
        return "not evaluated"
    verdict = "FAIL" if counts[FAILED] else "pass"
    return f"{verdict} ({counts[PASSED]} passed, {counts[FAILED]} failed, {counts[SKIPPED]} skipped)"


def markdown(results: list[Result], *, skips: dict[Skip, list[Result]], problems: list[str],
             weakened: dict[str, list[dict]], resource_counts: dict[str, int], diagram: str | None,
             framework: str | None = None) -> str:
    """The human report: requirements → checks → results, controls per framework (all, or only ``framework``),
    failures, skips, weakened defaults."""
    counts = Counter(r.status for r in results)
    lines = ["# secure_web compliance report", "",
             f"Stacks: {', '.join(f'{stack_name(f)} ({n} resources)' for f, n in sorted(resource_counts.items()))}.",
             f"Checks: **{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[SKIPPED]} skipped** "
             f"(built-in checkov checks and the CKV_SWEB policies in `policies/`).", ""]
    if diagram:
        lines += ["## Architecture", "", f"![Synthesized architecture]({diagram})", "",
                  "Green: every check on that tier or security-group rule passed; red: at least one failed.", ""]
    lines += ["## Requirements and the checks that enforce them", "",
              "| Requirement | As the design states it | Check | Name | Result |", "|---|---|---|---|---|"]
    by_check: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_check[result.check_id].append(result)
    for requirement in REQUIREMENTS:
        for index, check_id in enumerate(requirement.checks):
            members = by_check.get(check_id, [])
            name = members[0].check_name if members else ""
            head = (f"**{requirement.title}**", f"“{requirement.quote}”") if index == 0 else ("", "")
            lines.append(f"| {head[0]} | {head[1]} | {check_id} | {name} | {_mark(members)} |")
    lines += framework_section(results, framework)
    lines += ["", "## Failures", ""]
    failures = [r for r in results if r.status == FAILED]
    lines += [f"- **{r.check_id}** {r.check_name}: `{r.address}` ({r.stack})"
              + (f"\n\n  ```\n  {r.reason}\n  ```" if r.reason else "") for r in failures] or ["None."]
    lines += ["", "## Skips", "",
              "Every skip in force, with its reason: the library's own (keyed to our constructs, from "
              "`secure_web/policies/skips.yaml`) and yours (`--skips`, with owner and expiry).", "",
              "| Check | Applies to | Source | Owner | Expires | Reason | Skipped here |", "|---|---|---|---|---|---|---|"]
    for skip, matched in skips.items():
        target = f"{skip.construct}: " + ", ".join(f"`{r}`" for r in skip.resources) if skip.library \
            else f"`{skip.resources[0]}`"
        here = ", ".join(f"`{r.address}`" for r in matched) or "none in these stacks"
        lines.append(f"| {skip.check_id} | {target} | {skip.source} | {skip.owner or '-'} | "
                     f"{skip.expires.isoformat() if skip.expires else '-'} | {skip.reason} | {here} |")
    if problems:
        lines += ["", "Skips that fail the gate:", ""]
        lines += [f"- {problem}" for problem in problems]
    lines += ["", "## Weakened secure defaults", ""]
    records = [(stack, record) for stack, items in sorted(weakened.items()) for record in items]
    if records:
        lines += ["| Stack | Construct | Field | Given | Secure default |", "|---|---|---|---|---|"]
        lines += [f"| {stack} | `{r.get('path')}` | {r.get('field')} | `{r.get('given')}` | `{r.get('default')}` |"
                  for stack, r in records]
    else:
        lines.append("None: every secure default is in place.")
    lines += ["", "## All checks", "", "| Check | Name | Result |", "|---|---|---|"]
    lines += [f"| {check_id} | {members[0].check_name} | {_mark(members)} |" for check_id, members in sorted(by_check.items())]
    return "\n".join(lines) + "\n"


WHERE_CHECKED = {"verifier": "checked by `secure-web verify` on a deployed account",
                 "hosts": "checked by the host suite (`pytest tests/hosts`) on a running host"}
NOT_EVALUATED = "not evaluated"


def framework_section(results: list[Result], framework: str | None = None) -> list[str]:
    """Markdown lines: per framework (or only ``framework``), control → checks → results, a verdict per control."""
    by_check: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_check[result.check_id].append(result)
    lines = ["", "## Controls per framework", "",
             "What a pass of each check is evidence for, from `secure_web.controls` (the table, its sources and its "
             "conventions: `docs/controls.md`). A control fails when a check mapped to it failed here, passes when "
             "its checks that ran here passed; checks the gate does not run (the verifier's, the host suite's) are "
             "listed as the further evidence they are."]
    for name in [framework] if framework else list(FRAMEWORKS):
        controls = checks_by_control(name)
        verdicts = Counter(_verdict(controls[control], by_check) for control in controls)
        lines += ["", f"### {name}: {FRAMEWORKS[name].title}", "",
                  f"{len(controls)} controls: **{verdicts['pass']} pass, {verdicts['FAIL']} fail**, "
                  f"{verdicts['skipped']} only skipped (reasoned skips), {verdicts[NOT_EVALUATED]} not evaluated "
                  "by this gate run.", "",
                  "| Control | Verdict | Check | Result |", "|---|---|---|---|"]
        for control, check_ids in controls.items():
            for index, check_id in enumerate(check_ids):
                head = (f"**{control}**", _verdict(check_ids, by_check)) if index == 0 else ("", "")
                lines.append(f"| {head[0]} | {head[1]} | {check_id} | {_evidence(check_id, by_check)} |")
    unmapped = sorted(check_id for check_id in by_check if not frameworks_for(check_id))
    if unmapped:
        lines += ["", "Checks that ran but map to no control yet (add them to `secure_web.controls.CONTROLS`): "
                  + ", ".join(unmapped) + "."]
    return lines


def framework_summary(results: list[Result], framework: str | None = None) -> str:
    """The printed per-framework summary: controls passed, failed and not evaluated (all frameworks, or one)."""
    by_check: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_check[result.check_id].append(result)
    lines = [f"{'framework controls':<22}{'passed':>8}{'failed':>8}{'skipped':>9}{'not evaluated':>15}"]
    for name in [framework] if framework else list(FRAMEWORKS):
        controls = checks_by_control(name)
        verdicts = Counter(_verdict(check_ids, by_check) for check_ids in controls.values())
        lines.append(f"{name:<22}{verdicts['pass']:>8}{verdicts['FAIL']:>8}{verdicts['skipped']:>9}"
                     f"{verdicts[NOT_EVALUATED]:>15}")
    return "\n".join(lines)


def _verdict(check_ids: tuple[str, ...], by_check: Mapping[str, list[Result]]) -> str:
    statuses = {r.status for check_id in check_ids for r in by_check.get(check_id, ())}
    if FAILED in statuses:
        return "FAIL"
    if PASSED in statuses:
        return "pass"
    return "skipped" if SKIPPED in statuses else NOT_EVALUATED


def _evidence(check_id: str, by_check: Mapping[str, list[Result]]) -> str:
    if check_id in by_check:
        counts = Counter(r.status for r in by_check[check_id])
        return (f"{_verdict((check_id,), by_check)} ({counts[PASSED]} passed, {counts[FAILED]} failed, "
                f"{counts[SKIPPED]} skipped)")
    where = where_checked(check_id)
    return WHERE_CHECKED.get(where, "not evaluated: nothing in these stacks it applies to")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
