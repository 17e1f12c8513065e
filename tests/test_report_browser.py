"""The report in a real browser: headless Chromium opens it with no console message at all, its
DOM holds no element or handler from hostile data, and a screenshot shows the charts (item 7).

The report has no JavaScript, so *any* console line (an error, a CSP violation, a failed load)
is a failure. A positive control proves the detector sees console errors in this Chromium.
Skipped when Chromium is missing (CI installs the Debian ``chromium`` package).
"""

from __future__ import annotations

import os
import resource
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from test_report import IMG, SCRIPT, full_report

CHROMIUM = Path(os.environ.get("REACHMIX_CHROMIUM", "/usr/bin/chromium"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"headless Chromium not found at {CHROMIUM}; "
                                                      "apt-get install chromium (or set REACHMIX_CHROMIUM)"),
]


def _uncapped_address_space() -> None:
    # CI runs the suite under a soft 4 GiB RLIMIT_AS; Chromium reserves tens of GiB of virtual
    # address space for its sandbox and heap cages and dies with SIGTRAP under such a cap, so the
    # browser (not the code under test) gets the hard limit back.
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def chromium(url: str, workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run headless Chromium once, in a fresh profile, with console messages logged to stderr."""
    profile = workdir / f"profile-{len(list(workdir.glob('profile-*')))}"
    args = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, url]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, preexec_fn=_uncapped_address_space)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def console_lines(stderr: str) -> list[str]:
    # Chromium logs page console output as "...:INFO:CONSOLE:<line>] "message", source: ...".
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.starts, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """(dump-dom run, screenshot run, screenshot path) of the hostile report."""
    work = tmp_path_factory.mktemp("browser")
    (work / "scenario").mkdir()
    page = work / "report.html"
    page.write_text(full_report(work / "scenario"), encoding="utf-8")
    dom = chromium(page.as_uri(), work, "--dump-dom")
    shot = work / "report.png"
    snap = chromium(page.as_uri(), work, f"--screenshot={shot}", "--window-size=1280,4000", "--hide-scrollbars")
    return dom, snap, shot


def test_console_detector_sees_errors(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom'); missingFn();</script>", encoding="utf-8")
    lines = console_lines(chromium(bad.as_uri(), tmp_path, "--dump-dom").stderr)
    assert any("boom" in line for line in lines) and any("Uncaught" in line for line in lines), lines


def test_report_opens_without_console_messages(rendered):
    dom, snap, _ = rendered
    assert console_lines(dom.stderr) == []
    assert console_lines(snap.stderr) == []


def test_dom_has_no_element_or_handler_from_data(rendered):
    dom = _Dom()
    dom.feed(rendered[0].stdout)
    tags = [t for t, _ in dom.starts]
    assert "html" in tags and "script" not in tags
    imgs = [a for t, a in dom.starts if t == "img"]
    assert len(imgs) == 6 and all(a["src"].startswith("data:image/svg+xml;base64,") for a in imgs)
    for tag, attrs in dom.starts:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    text = "".join(dom.text)
    assert SCRIPT in text and IMG in text  # shown to the reader as text, never parsed as markup


def test_screenshot_shows_the_charts(rendered):
    from matplotlib.image import imread

    shot = rendered[2]
    assert shot.exists() and shot.stat().st_size > 50_000
    pixels = imread(str(shot))[..., :3]  # floats in [0, 1]
    assert pixels.shape[:2] == (4000, 1280)
    assert pixels.std() > 0.05  # not a blank page
    # Text and rules are grey; the charts' bars and bands are the only large coloured areas.
    # (Measured: about 66k strongly coloured pixels with charts, 13k with the charts blanked.)
    saturation = pixels.max(axis=2) - pixels.min(axis=2)
    assert int((saturation > 0.25).sum()) > 35_000
    # The tier chart's green micro bar and the KPI chart's blue band are both on screen.
    green = np.all(np.abs(pixels - np.array([0x3A, 0x92, 0x3A]) / 255) < 0.06, axis=2).sum()
    band = (saturation > 0.1) & (pixels[..., 2] > pixels[..., 0] + 0.1)
    # (Measured: 26k green and 479k bluish pixels with charts; 0 and 15k with the charts blanked.)
    assert green > 5_000 and band.sum() > 100_000, (green, band.sum())
