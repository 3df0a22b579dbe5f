"""The data browser in a real headless browser (Debian's chromium via chromedriver and Selenium).

Walks the issue's path: sign in, open a class, run a filter script (an error first: line,
column and caret), follow a pointer, view a relation and its inverse. Writes the screenshots
the docs show (docs/browser-*.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from .components import chromium
from .live import MASTER_KEY, LiveServer

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
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


def shot(driver: webdriver.Chrome, name: str) -> None:
    DOCS.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(DOCS / name))


def go(driver: webdriver.Chrome, element: WebElement) -> None:
    """Click a link or a submit button and wait for the next page: a click can return
    before the navigation it starts has replaced the page."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(page))


def column(driver: webdriver.Chrome, css: str = "#records a.record") -> list[str]:
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, css)]


def test_browser_walk(shared: LiveServer, browser: webdriver.Chrome) -> None:
    db = shared.db
    d = browser
    d.get(shared.root + "/browser/")
    assert "/browser/login" in d.current_url  # the master key is required
    d.find_element(By.ID, "masterKey").send_keys("wrong")
    go(d, d.find_element(By.ID, "signin"))
    assert "not the master key" in d.page_source
    d.find_element(By.ID, "masterKey").send_keys(MASTER_KEY)
    go(d, d.find_element(By.ID, "signin"))

    # classes with counts
    rows = {r.find_elements(By.TAG_NAME, "td")[0].text: int(r.find_elements(By.TAG_NAME, "td")[1].text)
            for r in d.find_elements(By.CSS_SELECTOR, "#classes tr")[1:]}
    assert rows == {c: db.count(c) for c in db.schema.classes}
    shot(d, "browser-classes.png")

    # a class: paging and sorting
    go(d, d.find_element(By.LINK_TEXT, "Comment"))
    assert column(d) == db.query("Comment", limit=50).ids
    go(d, d.find_element(By.ID, "next"))
    assert column(d) == db.query("Comment", limit=50, skip=50).ids
    go(d, d.find_element(By.PARTIAL_LINK_TEXT, "likes"))
    assert column(d) == db.query("Comment", sort=["likes"], limit=50).ids
    go(d, d.find_element(By.PARTIAL_LINK_TEXT, "likes"))
    assert column(d) == db.query("Comment", sort=["-likes"], limit=50).ids

    # a filter script with a mistake: the error shows line, column and caret
    box = d.find_element(By.ID, "script")
    box.clear()
    box.send_keys("where({\n  lieks: { greaterThan: 20 }\n})")
    go(d, d.find_element(By.ID, "run"))
    error = d.find_element(By.ID, "error").text
    assert error.startswith("line 2, column 3: class Comment has no field 'lieks'")
    assert "did you mean 'likes'" in error and "^" in error.splitlines()[-1]
    shot(d, "browser-script-error.png")

    script = "where({\n  Owner: { pointsTo: 'p015' },\n  likes: { greaterThan: 5 }\n})\nsort(['-likes'])"
    box = d.find_element(By.ID, "script")
    box.clear()
    box.send_keys(script)
    go(d, d.find_element(By.ID, "run"))
    want = db.query("Comment", script, count=True)
    assert column(d) == want.ids[:50] and want.ids
    assert d.find_element(By.ID, "count").text == f"{want.count} records"
    shot(d, "browser-script.png")

    # follow a pointer from the table to its record
    first = want.records[0]
    go(d, d.find_element(By.CSS_SELECTOR, "#records a.pointer"))
    assert d.find_element(By.TAG_NAME, "h1").text == f"Post {first['Owner']}"
    d.set_window_size(1280, 1000)  # the record and what points at it, in one picture
    shot(d, "browser-record.png")
    d.set_window_size(1280, 760)

    # the inverse: the Groups whose Relation `posts` holds this Post
    go(d, d.find_element(By.PARTIAL_LINK_TEXT, "Group whose Relation posts holds this"))
    holders = db.query("Group", {"posts": {"pointsTo": first["Owner"]}}).ids
    assert column(d) == holders and holders

    # a record with a Relation: "View relation"
    d.get(shared.root + "/browser/classes/Group/g2")
    go(d, d.find_element(By.LINK_TEXT, "View relation"))  # posts comes first
    assert d.find_element(By.TAG_NAME, "h1").text == "Group g2 · posts → Post"
    assert column(d) == db.query("Post", "where({ relatedTo: { id: 'g2', key: 'posts' } })").ids
    shot(d, "browser-relation.png")


def test_browser_needs_the_master_key(shared: LiveServer, browser: webdriver.Chrome) -> None:
    browser.delete_all_cookies()
    browser.get(shared.root + "/browser/classes/Post")
    assert "/browser/login" in browser.current_url
    browser.get(shared.root + f"/browser/classes/Post?masterKey={MASTER_KEY}")
    assert browser.current_url.endswith("/browser/classes/Post")
    assert column(browser) == shared.db.query("Post", limit=50).ids
