"""``compliance.html``: the report a person opens in a browser, as one self-contained file.

Inline CSS, the architecture picture inline as a ``data:`` URI, no script, and a
Content-Security-Policy that forbids loading anything else: the file reads the same from a
CI artefact, a mail attachment or a laptop offline. Failures come first (and first in every
table), then the picture, the results per tier (the construct of ours that made each
resource, from what the synthesized JSON records about itself), per framework (when
``secure_web.controls`` maps checks to framework controls), every skip with its reason,
source, owner and expiry, and the weakened secure defaults. Every piece of text is escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from .scan import FAILED, PASSED, SKIPPED, Result, stack_name
from .skips import Provenance, Skip, provenance_index

FrameworkMapping = Callable[[str], Mapping[str, Sequence[str]]]
"""check id -> {framework: the controls of it that the check enforces}."""

OTHER_RESOURCES = "other resources"
PICTURE_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
"""Preferred first: graphviz's SVG is a tenth of the PNG's size and stays sharp when zoomed."""
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

STYLE = """
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #212121;
       margin: 0 auto; padding: 1.5rem 2rem 4rem; max-width: 1320px; }
h1 { font-size: 1.7rem; margin: 0 0 .4rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 2px solid #c5cae9; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
nav a { margin-right: 1rem; }
.verdict { display: inline-block; padding: .35rem .9rem; border-radius: 4px; font-weight: 700; color: #fff; }
.verdict.pass { background: #1b5e20; }
.verdict.fail { background: #b71c1c; }
.note { color: #546e7a; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: 13.5px; }
th, td { border: 1px solid #cfd8dc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #e8eaf6; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fdecea; }
tr.skipped td { background: #fff8e1; }
.status { font-weight: 700; }
.status.failed { color: #b71c1c; }
.status.passed { color: #1b5e20; }
.status.skipped { color: #8d6e00; }
code, pre { font: 12.5px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
td:first-child code, .date { white-space: nowrap; }
pre { white-space: pre-wrap; margin: .2rem 0 0; }
figure { margin: .5rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #cfd8dc; }
figcaption { color: #546e7a; }
"""


@dataclass(frozen=True, order=True)
class Tier:
    """The construct of ours that made a resource (its kind and construct path), in one stack."""

    stack: str
    kind: str
    """Our construct's class (``SecureWebTier``), or ``other resources`` for anything else."""
    path: str
    """The construct's own path (``secure-web/web``); empty for other resources."""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.path}" if self.path else f"{self.kind} ({self.stack})"


def tier_of(provenance: Provenance | None, stack: str) -> Tier:
    """The innermost construct of ours that made the resource: its path is the resource's minus the relative part."""
    if provenance is None or not provenance.construct or not provenance.relative:
        return Tier(stack, OTHER_RESOURCES, "")
    owner = provenance.path.removesuffix("/" + provenance.relative)
    return Tier(stack, provenance.construct, owner)


def framework_mapping() -> FrameworkMapping | None:
    """``secure_web.controls.frameworks_for`` when that module is installed, else None."""
    try:
        from ..controls import frameworks_for
    except ImportError:
        return None
    return frameworks_for


def _framework_order() -> tuple[str, ...]:
    try:
        from ..controls import FRAMEWORKS
    except ImportError:
        return ()
    return tuple(str(framework) for framework in FRAMEWORKS)


def html_report(results: list[Result], *, skips: Mapping[Skip, list[Result]], problems: list[str],
                weakened: Mapping[str, list[dict]], resource_counts: Mapping[str, int],
                documents: Mapping[str, Mapping], pictures: Sequence[Path],
                frameworks_for: FrameworkMapping | None = None, today: dt.date | None = None) -> str:
    """The whole page. ``documents``: file -> synthesized JSON (tiers); ``pictures``: the rendered diagrams.

    ``frameworks_for`` defaults to ``secure_web.controls.frameworks_for`` when installed; without
    it the page says that no framework mapping is available.
    """
    frameworks_for = frameworks_for or framework_mapping()
    today = today or dt.date.today()
    indexes = {file: provenance_index(document) for file, document in documents.items()}
    tiers = _tiers(results, indexes)
    failures = [r for r in results if r.status == FAILED]
    sections = [
        ("failures", "Failures", _failures(failures, problems, tiers)),
        ("architecture", "Architecture", _pictures(pictures)),
        ("tiers", "Results per tier", _tier_tables(results, tiers, indexes)),
        ("frameworks", "Results per framework", _framework_tables(results, frameworks_for)),
        ("skips", "Skips", _skips(skips, today)),
        ("weakened", "Weakened secure defaults", _weakened(weakened)),
    ]
    counts = Counter(r.status for r in results)
    passed = not failures and not problems
    stacks = ", ".join(f"{stack_name(file)} ({count} resources)" for file, count in sorted(resource_counts.items()))
    head = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CONTENT_SECURITY_POLICY)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>secure_web compliance report</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
        "<h1>secure_web compliance report</h1>",
        f'<p><span class="verdict {"pass" if passed else "fail"}">{"PASS" if passed else "FAIL"}</span> '
        f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[SKIPPED]} skipped"
        + (f"; {len(problems)} skip problem{'s' if len(problems) != 1 else ''}" if problems else "") + "</p>",
        f"<p>Stacks: {escape(stacks)}.</p>",
        '<p class="note">Static analysis of the synthesized Terraform JSON: checkov\'s built-in checks, the '
        "CKV_SWEB policies, and Terraform reading every block offline. Nothing was deployed.</p>",
        "<nav>" + "".join(f'<a href="#{anchor}">{escape(title)}</a>' for anchor, title, _ in sections) + "</nav>",
    ]
    body = [f'<section id="{anchor}"><h2>{escape(title)}</h2>\n{content}</section>'
            for anchor, title, content in sections]
    return "\n".join(head + body + ["</body>", "</html>"]) + "\n"


def _tiers(results: list[Result], indexes: Mapping[str, Mapping[str, Provenance]]) -> dict[Result, Tier]:
    return {r: tier_of(indexes.get(r.file, {}).get(r.address), r.stack) for r in results}


def _failures(failures: list[Result], problems: list[str], tiers: Mapping[Result, Tier]) -> str:
    parts = []
    if failures:
        messages = any(r.reason for r in failures)
        rows = [("failed", [_code(r.check_id), escape(r.check_name), _code(r.address), escape(tiers[r].label),
                            escape(r.stack), *([f"<pre>{escape(r.reason)}</pre>"] if messages else [])])
                for r in sorted(failures, key=lambda r: (r.stack, r.check_id, r.address))]
        parts.append(_table(["Check", "Name", "Resource", "Tier", "Stack", *(["Message"] if messages else [])], rows))
    if problems:
        parts.append("<h3>Skips that fail the gate</h3><ul>"
                     + "".join(f"<li>{escape(problem)}</li>" for problem in problems) + "</ul>")
    return "\n".join(parts) or "<p>None: every check passed or has a reasoned skip.</p>"


def _pictures(pictures: Sequence[Path]) -> str:
    by_stack: dict[str, Path] = {}
    for suffix in PICTURE_TYPES:
        for picture in pictures:
            if picture.suffix == suffix:
                by_stack.setdefault(picture.stem, picture)
    if not by_stack:
        return "<p>No picture: graphviz's <code>dot</code> is not installed.</p>"
    figures = []
    for stem, picture in sorted(by_stack.items()):
        data = base64.b64encode(picture.read_bytes()).decode("ascii")
        stack = stem.removeprefix("architecture-")
        figures.append(f'<figure><img src="data:{PICTURE_TYPES[picture.suffix]};base64,{data}" '
                       f'alt="{escape(stack)}: the synthesized architecture, coloured by check results">'
                       f"<figcaption>Stack {escape(stack)}. Green: every check on that tier or security-group rule "
                       "passed; red: at least one failed.</figcaption></figure>")
    return "\n".join(figures)


def _tier_tables(results: list[Result], tiers: Mapping[Result, Tier],
                 indexes: Mapping[str, Mapping[str, Provenance]]) -> str:
    resources: Counter[Tier] = Counter(tier_of(provenance, stack_name(file)) for file, index in indexes.items()
                                       for address, provenance in index.items() if not address.startswith("data."))
    by_tier: dict[Tier, list[Result]] = defaultdict(list)
    for result in results:
        by_tier[tiers[result]].append(result)
    order = sorted(set(by_tier) | set(resources), key=lambda t: (not _failed(by_tier.get(t, [])),
                                                                 t.kind == OTHER_RESOURCES, t))
    summary = [(_row_class(by_tier.get(t, [])), [escape(t.kind), _code(t.path) if t.path else "", escape(t.stack),
                                                   str(resources[t]), *_counts(by_tier.get(t, []))])
               for t in order]
    parts = ['<p class="note">Each resource belongs to the innermost construct of ours that made it, as the '
             'synthesized JSON records under <code>"//".secure_web.resources</code>; resources no construct of '
             f"ours made are under &ldquo;{escape(OTHER_RESOURCES)}&rdquo;.</p>",
             _table(["Construct", "Path", "Stack", "Resources", "Passed", "Failed", "Skipped", "Result"], summary)]
    for tier in order:
        members = by_tier.get(tier, [])
        if members:
            parts += [f"<h3>{escape(tier.label)}</h3>", _check_table(members)]
    return "\n".join(parts)


def _check_table(results: list[Result]) -> str:
    """One row per check: its counts, and the resources it failed or skipped on."""
    by_check: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_check[result.check_id].append(result)
    rows = []
    for check_id, members in sorted(by_check.items(), key=lambda item: (not _failed(item[1]), item[0])):
        notable = [r for r in members if r.status != PASSED]
        rows.append((_row_class(members), [
            _code(check_id), escape(members[0].check_name), *_counts(members),
            "<br>".join(f'{_code(r.address)} <span class="status {r.status}">{r.status}</span>' for r in notable),
        ]))
    return _table(["Check", "Name", "Passed", "Failed", "Skipped", "Result", "Failed or skipped on"], rows)


def _framework_tables(results: list[Result], frameworks_for: FrameworkMapping | None) -> str:
    if frameworks_for is None:
        return ('<p class="note">No framework mapping in this installation (<code>secure_web.controls</code> '
                "is missing).</p>")
    controls: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
    unmapped: dict[str, set[str]] = defaultdict(set)
    check_ids = sorted({r.check_id for r in results})
    mappings = {check_id: frameworks_for(check_id) for check_id in check_ids}
    order = _framework_order()
    frameworks = sorted({f for mapping in mappings.values() for f in mapping},
                        key=lambda f: (order.index(f) if f in order else len(order), f))
    for result in results:
        mapping = mappings[result.check_id]
        for framework in frameworks:
            for control in mapping.get(framework, ()):
                controls[framework][control].append(result)
            if not mapping.get(framework):
                unmapped[framework].add(result.check_id)
    if not frameworks:
        return '<p class="note">None of these checks maps to a control of any framework.</p>'
    parts = []
    for framework in frameworks:
        rows = [(_row_class(members), [escape(control), ", ".join(_code(c) for c in sorted({r.check_id for r in members})),
                                       *_counts(members)])
                for control, members in sorted(controls[framework].items(),
                                               key=lambda item: (not _failed(item[1]), item[0]))]
        parts += [f"<h3>{escape(framework)}</h3>",
                  _table(["Control", "Checks", "Passed", "Failed", "Skipped", "Result"], rows)]
        if unmapped[framework]:
            parts.append(f'<p class="note">{len(unmapped[framework])} of the {len(check_ids)} checks map to no '
                         f"control of {escape(framework)}.</p>")
    return "\n".join(parts)


def _skips(skips: Mapping[Skip, list[Result]], today: dt.date) -> str:
    if not skips:
        return "<p>None.</p>"

    def expired(skip: Skip) -> bool:
        return skip.expires is not None and skip.expires < today

    rows = []
    ordered = sorted(skips.items(), key=lambda item: (not expired(item[0]), not item[1], item[0].check_id))
    for skip, matched in ordered:
        target = (f"{escape(skip.construct or '')}: " + ", ".join(_code(r) for r in skip.resources)) if skip.library \
            else _code(skip.resources[0])
        expiry = "never" if skip.expires is None else f'<span class="date">{skip.expires.isoformat()}</span>'
        if expired(skip):
            expiry += " (expired)"
        rows.append(("failed" if expired(skip) else "skipped" if matched else "", [
            _code(skip.check_id), target, escape(skip.source), escape(skip.owner or "-"), expiry,
            escape(skip.reason), ("not applied, expired: " if expired(skip) and matched else "")
            + ("<br>".join(_code(r.address) for r in matched) or "none in these stacks"),
        ]))
    return ('<p class="note">Every skip in force: the library\'s own, keyed to our constructs '
            "(<code>secure_web/policies/skips.yaml</code>, never expiring), and yours (<code>--skips</code>, with "
            "owner and expiry). "
            "An expired skip no longer applies and fails the gate.</p>"
            + _table(["Check", "Applies to", "Source", "Owner", "Expires", "Reason", "Skipped here"], rows))


def _weakened(weakened: Mapping[str, list[dict]]) -> str:
    rows = [("failed", [escape(stack), _code(record.get("path", "")), escape(record.get("field", "")),
                        _code(record.get("given", "")), _code(record.get("default", ""))])
            for stack, records in sorted(weakened.items()) for record in records]
    if not rows:
        return "<p>None: every secure default is in place.</p>"
    return _table(["Stack", "Construct", "Field", "Given", "Secure default"], rows)


def _failed(results: Iterable[Result]) -> bool:
    return any(r.status == FAILED for r in results)


def _row_class(results: list[Result]) -> str:
    if _failed(results):
        return FAILED
    return SKIPPED if any(r.status == SKIPPED for r in results) else ""


def _counts(results: list[Result]) -> list[str]:
    """Passed, failed and skipped counts, then the verdict."""
    counts = Counter(r.status for r in results)
    verdict = FAILED if counts[FAILED] else PASSED if counts[PASSED] else SKIPPED if counts[SKIPPED] else ""
    label = {FAILED: "FAIL", PASSED: "pass", SKIPPED: "skipped", "": "not evaluated"}[verdict]
    return [str(counts[PASSED]), str(counts[FAILED]), str(counts[SKIPPED]),
            f'<span class="status {verdict}">{label}</span>']


def _table(headers: Sequence[str], rows: Iterable[tuple[str, Sequence[str]]]) -> str:
    """``rows``: (row class, cells already escaped)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join((f'<tr class="{css}">' if css else "<tr>") + "".join(_cell(c) for c in cells) + "</tr>\n"
                   for css, cells in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"


def _cell(content: str) -> str:
    return f'<td class="n">{content}</td>' if content.isdigit() else f"<td>{content}</td>"


def _code(text: str) -> str:
    return f"<code>{escape(str(text))}</code>"
