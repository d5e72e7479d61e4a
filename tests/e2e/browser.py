"""A page as a person sees it: Debian's Chromium, headless, takes a screenshot."""

import subprocess
from pathlib import Path

import numpy as np

from sim.output.report import HEADLESS_FLAGS, find_browser


def screenshot(page: Path, width: int, height: int, folder: Path) -> np.ndarray:
    """The first ``width`` x ``height`` pixels of ``page`` as RGB in [0, 1],
    after checking the browser ran and its console stayed silent (the pages
    have no scripts and load nothing, so any console line is a fault)."""
    import matplotlib.pyplot as plt

    picture = folder / f"{page.stem}.png"
    browser = subprocess.run(
        [find_browser(), *HEADLESS_FLAGS, f"--user-data-dir={folder / 'profile'}", f"--window-size={width},{height}",
         f"--screenshot={picture}", "--enable-logging=stderr", "--v=0", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    assert browser.returncode == 0, browser.stderr[-2000:]
    assert [line for line in browser.stderr.splitlines() if "CONSOLE" in line or "net::ERR" in line] == []
    pixels = plt.imread(picture)[:, :, :3]
    assert pixels.shape[:2] == (height, width)
    return pixels
