"""Is the page on screen in Vietnamese? The crawl's detector (tests/english_ui.py) on what the
browser shows, after the page's scripts ran (the admin's widgets write text of their own)."""

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from selenium.webdriver.common.by import By

from facilities.models import Province
from facilities.roles import NATIONAL_OFFICIALS_GROUP
from tests import english_ui
from tests.test_vietnamese_crawl import ALLOWLIST

_finder = None


def _english_finder():
    global _finder
    if _finder is None:
        # As the crawl: the permission names Django writes in English are English UI text too.
        extra = [NATIONAL_OFFICIALS_GROUP, *Permission.objects.values_list("name", flat=True)]
        _finder = english_ui.EnglishFinder(
            english_ui.english_msgids(), english_ui.vietnamese_translations(), ALLOWLIST, extra
        )
    return _finder


def _data():
    """Data on pages that is not UI text: account names, the provinces' English names."""
    names = [*get_user_model().objects.values_list("username", flat=True)]
    names += Province.objects.values_list("name_en", flat=True)
    names = sorted(filter(None, names), key=len, reverse=True)
    return re.compile(r"\b(?:{})\b".format("|".join(map(re.escape, names))))


def shown_text(driver):
    """What the page shows a person, as one line (tests/english_ui.visible_text)."""
    return english_ui.visible_text(driver.page_source)


def assert_vietnamese(driver, *expected):
    """The page is in Vietnamese, shows each of `expected`, and no known English UI text."""
    lang = driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
    assert lang == "vi", f"{driver.current_url}: <html lang={lang!r}>"
    text = shown_text(driver)
    for phrase in expected:
        assert phrase in text, f"{driver.current_url} does not show “{phrase}”: {text[:500]}"
    english = _english_finder().find(_data().sub(" ", text))
    assert not english, f"English on {driver.current_url}: {sorted(english)}"
    return text
