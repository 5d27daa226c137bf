"""JUnit XML, SARIF 2.1.0 and Markdown from a scan's results."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

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


def sarif(results: list[Result]) -> str:
    """Failures as SARIF results (skips carry a suppression with the reason)."""
    rules = {r.check_id: r.check_name for r in results}
    rule_ids = sorted(rules)
    sarif_results = []
    for result in results:
        if result.status not in (FAILED, SKIPPED):
            continue
        entry = {
            "ruleId": result.check_id, "ruleIndex": rule_ids.index(result.check_id), "level": "error",
            "message": {"text": f"{result.check_name} ({result.address})"
                                + (f": {result.reason}" if result.status == FAILED and result.reason else "")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _relative(result.file)},
                "region": {"startLine": max(result.line, 1)},
            }, "logicalLocations": [{"name": result.address, "kind": "resource"}]}],
        }
        if result.status == SKIPPED:
            entry["suppressions"] = [{"kind": "external", "justification": result.reason}]
        sarif_results.append(entry)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "checkov (secure_web compliance)", "rules": [
                {"id": rule_id, "name": rule_id, "shortDescription": {"text": rules[rule_id]}} for rule_id in rule_ids
            ]}},
            "results": sarif_results,
        }],
    }
    return json.dumps(document, indent=2)


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
             weakened: dict[str, list[dict]], resource_counts: dict[str, int], diagram: str | None) -> str:
    """The human report: requirements → checks → results, failures, skips, weakened defaults."""
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


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
