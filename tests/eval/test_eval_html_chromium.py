"""report.html renders in headless Chromium; the screenshot goes to test-artifacts/eval-report.png.

Chromium is required: without it the test fails (it never skips)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

from eval_paths import ROOT

from kubesage.eval.report import write_reports

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser")
                             or "") if p and Path(p).exists()), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]



def _run(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    # A missing browser fails this test: a skip would hide an unrendered report (.ci/run installs it).
    assert CHROMIUM is not None, "chromium is not installed (apt-get install chromium)"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120, check=False)


def _png_pixels(path: Path) -> tuple[int, int, set[bytes]]:
    """(width, height, distinct RGB colours of a sample of rows) of an 8-bit RGB/RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 3
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if ctype == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and color in (2, 6)
            channels = 3 if color == 2 else 4
        elif ctype == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    colours: set[bytes] = set()
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        ftype, cur = line[0], bytearray(line[1:])
        for i in range(stride):
            a = cur[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if ftype == 1:
                cur[i] = (cur[i] + a) & 0xFF
            elif ftype == 2:
                cur[i] = (cur[i] + b) & 0xFF
            elif ftype == 3:
                cur[i] = (cur[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        if y % 8 == 0:
            colours.update(bytes(cur[x : x + 3]) for x in range(0, stride, channels * 4))
        prev = cur
    return width, height, colours


def test_report_renders_in_headless_chromium(full_report: dict[str, Any], tmp_path: Path) -> None:
    _, html_path = write_reports(full_report, tmp_path / "report")
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    png = artifacts / "eval-report.png"
    png.unlink(missing_ok=True)
    shot = _run([f"--screenshot={png}", "--window-size=1280,2000", html_path.as_uri()], tmp_path / "profile1")
    assert png.is_file(), shot.stderr[-2000:]
    width, height, colours = _png_pixels(png)
    assert (width, height) == (1280, 2000)
    # A rendered page, not a blank one: text, the green/red/blue chart colours.
    assert len(colours) > 20
    assert any(c[1] > c[0] + 60 and c[1] > c[2] for c in colours), "no green bars drawn"
    assert any(c[2] > c[0] + 80 for c in colours), "no blue bars drawn"
    dom = _run(["--dump-dom", html_path.as_uri()], tmp_path / "profile2")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Detection recall by category" in dom.stdout
    assert dom.stdout.count("<svg") >= 3
