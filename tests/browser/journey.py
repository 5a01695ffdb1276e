"""What a person does in the browser, counted: clicks, fields typed into, pages loaded.

A journey test does everything through a `Journey` (tests/browser/conftest.py, fixture
`journey`), so its counts are those of the path it walks. How things count:

* a click is a mouse click on a link, button, checkbox or row; choosing from a drop-down list
  counts two (open the list, pick the entry), and so does picking from an autocomplete box (open
  it, pick the result; the search typed in between counts as a field typed into);
* typing into a field counts once per field, however long the text (focusing the field to type
  is part of typing);
* reloading a page to see whether something changed counts as a click;
* a page load is every new document the browser shows (a link followed, a form sent, a reload,
  an address typed): counted by a mark left on each document, so a load the test did not
  announce is still counted.

The counts are written to clicks.json in the artifacts folder, one entry per journey, with the
steps in order so a count can be checked by reading them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from selenium.common.exceptions import (
    JavascriptException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

# Seconds to wait for a page or an element: generous for a loaded CI machine, never reached
# when things work.
WAIT = 20

_MARK = "return window.__journeyMark === true"
_SET_MARK = "window.__journeyMark = true"


def wait(driver, timeout=WAIT, ignored=()):
    return WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=ignored)


def find(driver, css):
    """The visible element at `css` (waits for it)."""
    return wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


@dataclass
class Journey:
    """One person's way through the portal in one browser, with what it cost them."""

    name: str
    driver: object
    base_url: str
    clicks: int = 0
    typed: int = 0
    page_loads: int = 0
    steps: list = field(default_factory=list)

    def __post_init__(self):
        # The page on screen when the journey starts (the landing page after signing in) is
        # where it starts, not a load it cost.
        self._sync()
        self.page_loads = 0

    # --- Counting -----------------------------------------------------------------------------

    def _sync(self):
        """Count the document on screen if it is new since the last look."""
        for _attempt in range(50):
            try:
                if self.driver.execute_script("return document.readyState") != "complete":
                    time.sleep(0.05)
                    continue
                if not self.driver.execute_script(_MARK):
                    self.page_loads += 1
                    self.driver.execute_script(_SET_MARK)
                return
            except JavascriptException:
                # The document went away between the two scripts: look at the next one.
                time.sleep(0.05)

    def _step(self, kind, what, clicks=0, typed=0):
        self.clicks += clicks
        self.typed += typed
        self.steps.append(f"{kind}: {what}")

    def _wait_for_new_page(self, old_html):
        wait(self.driver).until(_gone(old_html))
        wait(self.driver).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        self._sync()

    def record(self):
        """The journey's entry of clicks.json."""
        try:
            self._sync()
        except WebDriverException:
            pass  # The browser was closed first: every load was seen at the last action.
        return {
            "clicks": self.clicks,
            "typed_fields": self.typed,
            "page_loads": self.page_loads,
            "steps": self.steps,
        }

    # --- Actions ------------------------------------------------------------------------------

    def visit(self, path):
        """Open an address as typed or bookmarked (a page load, no click)."""
        self.driver.get(self.base_url + path)
        self._sync()
        self.steps.append(f"open: {path}")

    def element(self, target):
        return target if isinstance(target, WebElement) else find(self.driver, target)

    def click(self, target, what="", *, load=False):
        """Click `target` (an element or a CSS selector); `load`: the click opens a page, wait
        for it."""
        self._sync()
        element = self.element(target)
        what = what or _describe(element)
        old_html = self.driver.find_element(By.TAG_NAME, "html")
        wait(self.driver).until(EC.element_to_be_clickable(element))
        element.click()
        self._step("click", what, clicks=1)
        if load:
            self._wait_for_new_page(old_html)

    def click_link(self, text, *, within="body", load=True):
        """Follow the link whose visible text is `text` (inside the element at `within`);
        `load=False` for a download, which leaves the page on screen."""
        container = find(self.driver, within)
        link = wait(self.driver).until(
            lambda _d: _visible(container.find_elements(By.LINK_TEXT, text))
        )
        self.click(link, f"link “{text}”", load=load)

    def type(self, target, text, what=""):
        """Type `text` into a field (cleared first: a field's default is replaced)."""
        self._sync()
        element = self.element(target)
        element.clear()
        element.send_keys(text)
        shown = "********" if element.get_attribute("type") == "password" else text
        self._step("type", f"{what or _field(element)} = {shown}", typed=1)

    def choose(self, target, label, what=""):
        """Pick the entry `label` of a drop-down list (<select>): two clicks."""
        self._sync()
        element = self.element(target)
        Select(element).select_by_visible_text(label)
        self._step("choose", f"{what or _field(element)} = {label}", clicks=2)

    def autocomplete(self, field_name, search, label):
        """Pick `label` in the admin's autocomplete box of `field_name` after typing `search`:
        two clicks and a field typed into."""
        self._sync()
        box = find(self.driver, f"#id_{field_name} + .select2 .select2-selection")
        box.click()
        query = find(self.driver, ".select2-container--open .select2-search__field")
        query.send_keys(search)

        def pick(driver):
            # The box asks the server again as the search grows and redraws its list: an entry
            # found may be replaced before the click lands, so the click is retried with it.
            results = ".select2-container--open .select2-results__option"
            if driver.find_elements(By.CSS_SELECTOR, f"{results}.loading-results"):
                return False
            for option in driver.find_elements(By.CSS_SELECTOR, results):
                if option.text.strip() == label and option.is_displayed():
                    option.click()
                    return True
            return False

        wait(self.driver, ignored=(StaleElementReferenceException,)).until(pick)
        wait(self.driver).until(
            lambda d: label in d.find_element(
                By.CSS_SELECTOR, f"#id_{field_name} + .select2 .select2-selection"
            ).text
        )
        self._step("autocomplete", f"{field_name}: “{search}” → {label}", clicks=2, typed=1)

    def log_out(self):
        """The "Log out" button of the page (the portal's pages and the admin each have one)."""
        self.click(
            "#logout-form button, form[action$='/accounts/logout/'] button", load=True
        )

    def reload(self, why=""):
        """Press reload: one click, one page load."""
        self._sync()
        old_html = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.refresh()
        self._step("reload", why or self.driver.current_url, clicks=1)
        self._wait_for_new_page(old_html)


def admin_row(driver, name):
    """The row of an admin list whose first column links to `name` (the link's own text: a
    note such as the camera's placement zone may follow it inside the link)."""
    return wait(driver).until(
        lambda d: d.find_element(
            By.XPATH,
            f"//table[@id='result_list']//tr[.//th//a[normalize-space(text()[1])='{name}']]",
        )
    )


def admin_tick_box(driver, name):
    """The tick box of that row (what the list's actions apply to)."""
    return admin_row(driver, name).find_element(By.CSS_SELECTOR, "input.action-select")


def _visible(elements):
    shown = [e for e in elements if _is_displayed(e)]
    return shown[0] if shown else False


def _is_displayed(element):
    try:
        return element.is_displayed()
    except StaleElementReferenceException:
        return False


def _field(element):
    return element.get_attribute("name") or element.get_attribute("id") or element.tag_name


def _describe(element):
    text = " ".join((element.text or "").split())
    if not text:
        text = (
            element.get_attribute("value")
            or element.get_attribute("name")
            or element.get_attribute("aria-label")
            or element.tag_name
        )
    return text[:80]


def wait_for_download(folder: Path, suffix: str, timeout=WAIT) -> Path:
    """The file ending in `suffix` that the browser finished saving into `folder`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        partial = [p for p in folder.iterdir() if p.name.endswith(".crdownload")]
        if done and not partial:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} file was downloaded into {folder}: {list(folder.iterdir())}")


def _gone(element):
    """Like EC.staleness_of, but Chrome may also say the old page's node "does not belong to the
    document" (a WebDriverException, not a StaleElementReferenceException) while it navigates:
    that is gone too (CI met it once on PostgreSQL)."""

    def check(_driver):
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    return check
