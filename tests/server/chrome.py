"""Driving the data browser in Debian's headless chromium (chromedriver and Selenium): the
driver the ``browser`` fixture (conftest.py) gives each test module, and what a walk does
with it (click and wait for the next page, read the records table, take a screenshot)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from .components import chromium


def screenshot_dir() -> Path:
    """Where the walk's screenshots go: a directory outside the checkout, unless
    ``QL_SCREENSHOTS`` names one (``make screenshots`` names docs/, whose images the guides
    show): a test run leaves the checkout as it found it."""
    named = os.environ.get("QL_SCREENSHOTS")
    return Path(named).resolve() if named else Path(tempfile.gettempdir()) / "querylang-screenshots"


@contextmanager
def chromium_driver() -> Iterator[webdriver.Chrome]:
    binary, driver_path = chromium()
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,760", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def none_of(driver: webdriver.Chrome, by: str, what: str) -> bool:
    """Whether the page (loaded: ``get`` waits for it) holds no element ``what``: looked for
    without the implicit wait, which a search that finds nothing waits out in full (5 s each)."""
    driver.implicitly_wait(0)
    try:
        return driver.find_elements(by, what) == []
    finally:
        driver.implicitly_wait(5)


def shot(driver: webdriver.Chrome, name: str) -> None:
    where = screenshot_dir()
    where.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(where / name))


def go(driver: webdriver.Chrome, element: WebElement) -> None:
    """Click a link or a submit button and wait for the next page: a click can return
    before the navigation it starts has replaced the page."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(d: webdriver.Chrome) -> bool:
        # Asked while the navigation swaps the document, chromedriver can answer "Node with given
        # id does not belong to the document" instead of "stale": the old page is gone either way.
        try:
            return bool(expected_conditions.staleness_of(page)(d))
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise

    WebDriverWait(driver, 10).until(replaced)


def column(driver: webdriver.Chrome, css: str = "#records a.record") -> list[str]:
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, css)]
