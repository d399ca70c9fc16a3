"""Helpers of the report tests: a report page's data, and a headless Chromium driven by selenium.

``chromium_driver()`` starts Chromium (or Chrome), or skips the test saying what to install; the other
helpers open a page, read where a plot's cursor is, click a plot and count pixels of a colour.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest


def page_data(text: str) -> dict:
    """The JSON data a report page carries in ``<script type="application/json" id="report-data">``."""
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.DOTALL)
    assert found, "the page carries its data"
    return json.loads(found.group(1))


def find_browser() -> tuple[str, str]:
    """Chromium (or Chrome) and chromedriver, or a skip saying what to install."""
    pytest.importorskip("selenium", reason="selenium is not installed: pip install selenium")
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    browser = os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, names)), None)
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    if browser is None:
        pytest.skip("no Chromium or Chrome found (Debian: apt-get install chromium chromium-driver)")
    if driver is None:
        pytest.skip("no chromedriver found (Debian: apt-get install chromium-driver)")
    return browser, driver


def chromium_driver():
    """A headless Chromium driven by selenium, 1280 x 1000, allowed to play without a user gesture."""
    browser, driver_path = find_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                     "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--force-device-scale-factor=1"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_script_timeout(30)
    return driver


def open_page(driver, page: Path) -> None:
    """Load ``page`` and wait until its video can play (or fail the test saying why not)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(page.as_uri())
    ready = WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("var v = document.getElementById('video'); return (v.readyState >= 2 || v.error)"
                                   " ? [v.readyState, v.error && v.error.code] : null"))
    assert ready[1] is None and ready[0] >= 2, f"the video did not load: readyState {ready[0]}, error {ready[1]}"


def geometry(driver, target: str, box: str = "plot") -> dict:
    """Where the element ``#<box>-<target>`` and its cursor are on screen, the video's time and the duration."""
    return driver.execute_script(
        "var p = document.getElementById(arguments[1] + '-' + arguments[0]), c = p.querySelector('line.cursor');"
        "var b = p.getBoundingClientRect(), r = c.getBoundingClientRect(), v = document.getElementById('video');"
        "return {left: b.left, top: b.top, width: b.width, height: b.height, cursor: r.left + r.width / 2,"
        "        time: v.currentTime,"
        "        duration: JSON.parse(document.getElementById('report-data').textContent).duration};", target, box)


def wait_for_cursor(driver, seconds: float, boxes: tuple[str, ...] = ("plot",)) -> None:
    """Wait until the cursor of both targets' ``boxes`` stands at ``seconds``."""
    from selenium.webdriver.support.ui import WebDriverWait

    def on_place(d):
        places = [geometry(d, target, box) for target in ("valence", "arousal") for box in boxes]
        return all(abs(g["cursor"] - (g["left"] + seconds / g["duration"] * g["width"])) < 2 for g in places)

    WebDriverWait(driver, 10).until(on_place, f"the cursor did not move to {seconds} s")


def click_at(driver, target: str, fraction: float, box: str = "plot") -> float:
    """Click ``#<box>-<target>`` at ``fraction`` of its width; the time that point stands for."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.ID, f"{box}-{target}")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    g = geometry(driver, target, box)
    ActionChains(driver).move_to_element_with_offset(element, round((fraction - 0.5) * g["width"]), 0).click().perform()
    return fraction * g["duration"]


def not_blank(png: bytes) -> np.ndarray:
    """The screenshot as an RGB array, once it is known not to be blank."""
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert image.std() > 20, "the screenshot is blank"
    return image


def pixels_near(image: np.ndarray, colour: str, tolerance: int = 40) -> int:
    """How many pixels of ``image`` are within ``tolerance`` (sum of the RGB differences) of ``#rrggbb``."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image - rgb).sum(axis=2) < tolerance).sum())
