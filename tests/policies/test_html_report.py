"""compliance.html: one self-contained page, failures first, tiers, frameworks, skips; checked in headless Chromium.

The gate runs twice: on the reference stack (passes), and on a failing twin (the combined
weakening, an ALB that keeps invalid headers with its weakened-default record, and a
consumer skips file with one live and one expired skip). Chromium (Debian's package) renders
each report from a file:// URL with every network feature off: its DOM, its console and
a 1400x3000 screenshot are checked, and the same checks are shown to catch a broken page.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from collections import Counter
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from secure_web.compliance.diagram import FAIL_COLOR, PASS_COLOR
from secure_web.compliance.html import STYLE, html_report
from secure_web.compliance.run import main
from secure_web.compliance.scan import FAILED, PASSED, SKIPPED, Result
from secure_web.compliance.skips import provenance_index
from weakenings import the

REPO_ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (./tasks test installs it), so the report is not "
                             "rendered in a browser")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--host-resolver-rules=MAP * ~NOTFOUND")
"""Nothing but the local file: no network feature, and no host name resolves."""
WINDOW = (1400, 3000)
TABLE_HEADER = "#e8eaf6"
SCRIPT_PROBE = '<script>console.error("unescaped skip reason")</script>'
SECTIONS = ("failures", "architecture", "tiers", "frameworks", "skips", "weakened")


def _rgb(colour: str) -> bytes:
    return bytes.fromhex(colour.removeprefix("#"))


# --- the two gate runs -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def passing_report(reference_out, tmp_path_factory) -> Path:
    reports = tmp_path_factory.mktemp("passing-report")
    assert main([str(REPO_ROOT), "--synth-dir", str(reference_out), "--reports-dir", str(reports)]) == 0
    return reports / "compliance.html"


@pytest.fixture(scope="module")
def failing_report(weakened_stack, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("failing-report")
    document = json.loads(weakened_stack.read_text())
    _, alb_name, alb = the(document, "SecureWebTier", "alb")
    alb["drop_invalid_header_fields"] = False
    tier_path = provenance_index(document)[f"aws_lb.{alb_name}"].path.rsplit("/", 1)[0]
    document["//"]["secure_web"]["weakened_defaults"] = [
        {"path": tier_path, "field": "drop_invalid_header_fields", "given": "False", "default": "True"}]
    stack = root / "out" / "stacks" / "weakened" / "cdk.tf.json"
    stack.parent.mkdir(parents=True)
    stack.write_text(json.dumps(document, indent=2))
    writer = "aws_rds_cluster_instance.weakened_single_writer"
    today = dt.date.today()
    skips = root / "compliance-skips.yaml"
    skips.write_text(json.dumps({"skips": [  # JSON is YAML
        {"check": "CKV_AWS_118", "resource": writer, "owner": "dba-team",
         "expires": str(today + dt.timedelta(days=90)),
         "reason": f"Enhanced monitoring waits for the new IAM role of the database team & {SCRIPT_PROBE} stays text."},
        {"check": "CKV_AWS_226", "resource": writer, "owner": "dba-team",
         "expires": str(today - dt.timedelta(days=1)),
         "reason": "Minor version upgrades were paused for the migration window, which has ended by now."},
    ]}))
    reports = root / "reports"
    status = main([str(REPO_ROOT), "--synth-dir", str(root / "out"), "--reports-dir", str(reports),
                   "--skips", str(skips)])
    assert status == 1
    return reports / "compliance.html"


@pytest.fixture(scope="module", params=["passing", "failing"])
def report(request) -> Path:
    return request.getfixturevalue(f"{request.param}_report")


# --- reading the page ------------------------------------------------------------------------------------------


class _Tables(HTMLParser):
    """Every table's rows as cell texts, with the id of the section it sits in and its row class."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[tuple[str, list[str]]]]] = []
        self.headings: list[tuple[str, str]] = []
        self._section, self._row, self._cell, self._heading = "", None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section = attrs.get("id", "")
        elif tag == "table":
            self.tables.append((self._section, []))
        elif tag == "tr":
            self._row = (attrs.get("class") or "", [])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row[1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None
        elif tag in ("h2", "h3") and self._heading is not None:
            self.headings.append((self._section, "".join(self._heading)))
            self._heading = None

    def handle_data(self, data):
        for part in (self._cell, self._heading):
            if part is not None:
                part.append(data)


def tables(page: str, section: str) -> list[list[tuple[str, list[str]]]]:
    parser = _Tables()
    parser.feed(page)
    return [rows for where, rows in parser.tables if where == section]


def headings(page: str, section: str) -> list[str]:
    parser = _Tables()
    parser.feed(page)
    return [text for where, text in parser.headings if where == section]


def junit_failures(report: Path) -> set[tuple[str, str]]:
    """(check id, address) of every failure, as the JUnit report (another writer) records it."""
    suites = ET.parse(report.parent / "compliance.junit.xml").getroot()
    return {(case.get("classname").split(".", 1)[1], case.get("name"))
            for case in suites.iter("testcase") if case.find("failure") is not None}


# --- the page itself -------------------------------------------------------------------------------------------


def test_gate_writes_the_page_next_to_the_other_reports(report):
    assert {"compliance.md", "compliance.sarif", "compliance.junit.xml"} <= {p.name for p in report.parent.iterdir()}
    assert report.read_text().startswith("<!DOCTYPE html>")


def test_page_loads_nothing_from_outside_itself(report):
    page = report.read_text()
    assert "<script" not in page and "<link" not in page and "url(" not in page
    assert re.findall(r'(?:src|href)="(?!data:|#)[^"]*"', page) == []
    (policy,) = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert unescape(policy) == "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def test_picture_is_the_rendered_diagram_inline(report):
    assert shutil.which("dot"), "graphviz's dot draws the picture: ./tasks test installs it"
    (svg,) = report.parent.glob("architecture-*.svg")
    (inline,) = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', report.read_text())
    assert base64.b64decode(inline) == svg.read_bytes()


def test_sections_come_in_order_failures_first(report):
    page = report.read_text()
    positions = [page.index(f'<section id="{section}">') for section in SECTIONS]
    assert positions == sorted(positions)


def test_failures_table_lists_every_failure_the_junit_report_has(failing_report):
    expected = junit_failures(failing_report)
    (rows,) = tables(failing_report.read_text(), "failures")
    listed = {(cells[0], cells[2]) for css, cells in rows[1:]}
    assert len(expected) >= 10 and listed == expected
    assert all(css == "failed" for css, _ in rows[1:])


def test_passing_report_says_so(passing_report):
    page = passing_report.read_text()
    assert '<span class="verdict pass">PASS</span>' in page and junit_failures(passing_report) == set()
    assert tables(page, "failures") == [] and "None: every check passed" in page


def test_expired_skip_fails_the_gate_in_the_failures_section(failing_report):
    section = failing_report.read_text().split('<section id="failures">')[1].split("</section>")[0]
    assert "Skips that fail the gate" in section and "expired skip CKV_AWS_226" in section


def test_tiers_are_the_constructs_the_stack_records(passing_report, reference_stack):
    # GIVEN the owners the synthesized JSON records: a resource's path minus its path inside our construct
    records = json.loads(reference_stack.read_text())["//"]["secure_web"]["resources"]
    owners = {f"{r['construct']} {path[:-len(r['path']) - 1]}" for path, r in records.items()}
    # THEN each is a tier with its own table, and the summary adds up to every result of the JUnit report
    page = passing_report.read_text()
    assert owners <= set(headings(page, "tiers")) and len(owners) >= 6
    summary = tables(page, "tiers")[0]
    assert {f"{cells[0]} {cells[1]}" for _, cells in summary[1:]} >= owners
    results = sum(1 for _ in ET.parse(passing_report.parent / "compliance.junit.xml").getroot().iter("testcase"))
    assert sum(int(cells[4]) + int(cells[5]) + int(cells[6]) for _, cells in summary[1:]) == results


def test_failing_tiers_come_first(failing_report):
    summary = tables(failing_report.read_text(), "tiers")[0][1:]
    classes = [css for css, _ in summary]
    assert classes[0] == "failed" and classes == sorted(classes, key=lambda css: css != "failed")
    assert {cells[0] for css, cells in summary if css == "failed"} >= {"SecureWebTier", "ReplicatedMySQL"}


def test_skips_show_reason_source_owner_and_expiry(failing_report):
    (rows,) = tables(failing_report.read_text(), "skips")
    by_check = {cells[0]: cells for _, cells in rows[1:] if cells[2] == "compliance-skips.yaml"}
    live, expired = by_check["CKV_AWS_118"], by_check["CKV_AWS_226"]
    assert live[3] == expired[3] == "dba-team"
    assert live[4] == str(dt.date.today() + dt.timedelta(days=90)) and expired[4].endswith("(expired)")
    assert live[5].startswith("Enhanced monitoring waits")
    assert live[6] == "aws_rds_cluster_instance.weakened_single_writer"
    assert expired[6] == "not applied, expired: aws_rds_cluster_instance.weakened_single_writer"
    library = [cells for _, cells in rows[1:] if cells[2] == "secure_web"]
    assert library and all(len(cells[5].split()) >= 10 for cells in library)


def test_skip_reason_is_escaped_text(failing_report):
    page = failing_report.read_text()
    assert SCRIPT_PROBE not in page and "&lt;script&gt;console.error(&quot;unescaped skip reason&quot;)" in page
    assert "database team &amp; " in page


def test_weakened_defaults_are_listed(failing_report, passing_report):
    (rows,) = tables(failing_report.read_text(), "weakened")
    assert [cells[2:] for _, cells in rows[1:]] == [["drop_invalid_header_fields", "False", "True"]]
    assert "None: every secure default is in place." in passing_report.read_text()


def _result(check_id: str, address: str, status: str) -> Result:
    return Result(check_id=check_id, check_name=f"name of {check_id}", address=address, file="/x/cdk.tf.json",
                  status=status)


def test_framework_tables_group_checks_by_control():
    # GIVEN two checks, one failing, mapped to two frameworks
    mapping = {"CKV_AWS_1": {"CIS": ("1.1",), "NIST": ("AC-3", "SC-8")}, "CKV_AWS_2": {"CIS": ("2.4",)}}
    results = [_result("CKV_AWS_1", "aws_lb.a", PASSED), _result("CKV_AWS_1", "aws_lb.b", PASSED),
               _result("CKV_AWS_2", "aws_lb.a", FAILED), _result("CKV_AWS_3", "aws_lb.a", SKIPPED)]
    # WHEN the page is written with that mapping
    page = html_report(results, skips={}, problems=[], weakened={}, resource_counts={"/x/cdk.tf.json": 2},
                       documents={}, pictures=[], frameworks_for=lambda check_id: mapping.get(check_id, {}))
    # THEN each framework has a table, one row per control, failing controls first
    assert headings(page, "frameworks") == ["Results per framework", "CIS", "NIST"]
    cis, nist = tables(page, "frameworks")
    assert [(css, cells[:5]) for css, cells in cis[1:]] == [("failed", ["2.4", "CKV_AWS_2", "0", "1", "0"]),
                                                           ("", ["1.1", "CKV_AWS_1", "2", "0", "0"])]
    assert [cells[0] for _, cells in nist[1:]] == ["AC-3", "SC-8"]
    assert "2 of the 3 checks map to no control of NIST." in page


def test_frameworks_from_secure_web_controls(passing_report):
    controls = pytest.importorskip("secure_web.controls", reason="secure_web.controls (the framework mapping) "
                                                                 "is not in this checkout yet")
    page = passing_report.read_text()
    mapped = {framework for framework in controls.FRAMEWORKS
              if any(controls.frameworks_for(check_id).get(framework) for check_id in ("CKV_AWS_24", "CKV_SWEB_001"))}
    assert mapped and mapped <= set(headings(page, "frameworks"))


def test_every_text_is_escaped():
    hostile = '<img src=x onerror="alert(1)">'
    page = html_report([Result(check_id="CKV_AWS_9", check_name=hostile, address=f"aws_lb.{hostile}",
                               file="/x/cdk.tf.json", status=FAILED, reason=hostile)],
                       skips={}, problems=[hostile], weakened={"s": [{"path": hostile, "field": hostile}]},
                       resource_counts={"/x/cdk.tf.json": 1}, documents={}, pictures=[],
                       frameworks_for=lambda check_id: {hostile: (hostile,)})
    assert hostile not in page and page.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") >= 7


# --- in the browser --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    dom: str
    console: list[str]
    """Chromium's CONSOLE log lines; their level is not in the log, so every message counts."""
    screenshot: Path


def render(page: Path, workdir: Path) -> Rendered:
    """Load ``page`` from its file:// URL twice: once for the DOM and console, once for the screenshot."""
    workdir.mkdir(parents=True, exist_ok=True)

    def chromium(*args: str) -> subprocess.CompletedProcess:
        profile = workdir / f"profile-{len(list(workdir.glob('profile-*')))}"
        profile.mkdir()
        return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                              capture_output=True, text=True, timeout=180, check=True)

    dumped = chromium("--enable-logging=stderr", "--v=0", "--dump-dom")
    screenshot = workdir / "screenshot.png"
    chromium(f"--screenshot={screenshot}", f"--window-size={WINDOW[0]},{WINDOW[1]}")
    console = [line for line in dumped.stderr.splitlines() if ":CONSOLE" in line]
    return Rendered(dom=dumped.stdout, console=console, screenshot=screenshot)


@pytest.fixture(scope="module")
def rendered(report, tmp_path_factory) -> Rendered:
    return render(report, tmp_path_factory.mktemp("chromium"))


def png_pixels(path: Path) -> tuple[int, int, Counter]:
    """Width, height and a count of every RGB colour of an 8-bit, non-interlaced RGB or RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed = 8, b""
    while position < len(data):
        (length,), kind = struct.unpack(">I", data[position:position + 4]), data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
        elif kind == b"IDAT":
            compressed += body
        position += 12 + length
    channels = 3 if colour_type == 2 else 4
    stride, raw = width * channels, zlib.decompress(compressed)
    colours: Counter = Counter()
    previous = bytes(stride)
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, channels)
        colours.update(line[i:i + 3] for i in range(0, stride, channels))
        previous = line
    return width, height, colours


def _unfilter(kind: int, line: bytearray, previous: bytes, step: int) -> bytes:
    if kind == 1:
        for i in range(step, len(line)):
            line[i] = (line[i] + line[i - step]) & 0xFF
    elif kind == 2:
        return _add_bytewise(line, previous)
    elif kind == 3:
        for i in range(len(line)):
            line[i] = (line[i] + ((line[i - step] if i >= step else 0) + previous[i]) // 2) & 0xFF
    elif kind == 4:
        for i in range(len(line)):
            left, up, corner = (line[i - step], previous[i], previous[i - step]) if i >= step else (0, previous[i], 0)
            guess = left + up - corner
            distances = abs(guess - left), abs(guess - up), abs(guess - corner)
            predictor = left if distances[0] <= min(distances[1:]) else up if distances[1] <= distances[2] else corner
            line[i] = (line[i] + predictor) & 0xFF
    return bytes(line)


def _add_bytewise(a: bytes, b: bytes) -> bytes:
    """(a[i] + b[i]) mod 256 for a whole row at once ("Up" rows are most of a screenshot; a byte loop is slow)."""
    low, high = int.from_bytes(b"\x7f" * len(a)), int.from_bytes(b"\x80" * len(a))
    x, y = int.from_bytes(a), int.from_bytes(b)
    return (((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(len(a))


@needs_chromium
def test_browser_renders_the_tables_and_the_picture(rendered, report):
    page = report.read_text()
    assert rendered.dom.count("<table") == page.count("<table") >= 8
    assert '<img src="data:image/svg+xml;base64,' in rendered.dom and 'id="failures"' in rendered.dom


@needs_chromium
def test_browser_logs_nothing_to_the_console(rendered):
    assert rendered.console == []


@needs_chromium
def test_screenshot_shows_the_picture_and_the_tables(rendered, report):
    # The table headers' fill is the page's own; the picture's greens and reds are graphviz's (diagram.py).
    assert f"th {{ background: {TABLE_HEADER}; }}" in STYLE
    width, height, colours = png_pixels(rendered.screenshot)
    assert (width, height) == WINDOW
    assert len(colours) > 200, "a page of text, tables and a picture has many colours"
    assert colours[_rgb(TABLE_HEADER)] > 5_000, "no table header on the screenshot"
    assert colours[_rgb(PASS_COLOR)] > 200, "no green of the architecture picture on the screenshot"
    if junit_failures(report):
        assert colours[_rgb(FAIL_COLOR)] > 100, "no red of the failing tier in the picture"


@needs_chromium
def test_browser_checks_catch_a_broken_page(failing_report, tmp_path):
    # GIVEN the report with an image from elsewhere and an inline script added, and an empty page
    broken = tmp_path / "broken.html"
    broken.write_text(failing_report.read_text().replace(
        "</body>", '<img src="http://127.0.0.1:9/x.png"><script>console.error("injected")</script></body>'))
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    # WHEN Chromium renders them
    rendered_broken = render(broken, tmp_path / "broken")
    rendered_blank = render(blank, tmp_path / "blank")
    # THEN the report's own policy blocks both, the console says so, and the blank screenshot has one colour
    violations = [line for line in rendered_broken.console if "Content Security Policy" in line]
    assert len(violations) == 2 and not any('"injected"' in line for line in rendered_broken.console), \
        rendered_broken.console
    _, _, colours = png_pixels(rendered_blank.screenshot)
    assert len(colours) == 1 and colours[_rgb(TABLE_HEADER)] == colours[_rgb(PASS_COLOR)] == 0
