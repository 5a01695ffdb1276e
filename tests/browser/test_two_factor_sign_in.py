"""A new operator engineer's first sign-in: the password, then setting up the authenticator app
from the enrolment page (the key read off the screen, as a person types it into the app), the
recovery codes, the admin; the next sign-in asks for the app's code; a phone reads the QR code
at its size."""

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By

from portal.models import AccountEvent, TotpDevice
from tests import factories
from tests.browser.conftest import type_code
from tests.browser.journey import Journey, find, wait
from tests.second_factor import code_for, code_for_seed, seed_from_secret

pytestmark = pytest.mark.browser

PASSWORD = "Ky-thuat-vien-2021"


def first_password(driver, journey, username):
    journey.visit(reverse("login"))
    journey.type("#id_username", username, "user name")
    journey.type("#id_password", PASSWORD, "password")
    journey.click("main form button[type=submit]", "Đăng nhập", load=True)


def test_an_operator_sets_up_the_app_at_the_first_sign_in_and_gives_codes_after(
    browser, journey, live_portal
):
    operator = factories.province_user(
        "kythuat.vnpt.dn", "48", role="connect_province", password=PASSWORD
    )
    first = journey("two_factor_enrolment", browser)
    first_password(browser, first, operator.username)

    # Sent to enrolment whatever the landing page: a QR code drawn at a scannable size.
    assert reverse("otp_setup") in browser.current_url
    qr = find(browser, ".qr svg")
    assert qr.size["width"] >= 200 and qr.size["height"] >= 200
    secret = find(browser, "#otp-secret").text
    first.type("#id_code", code_for_seed(seed_from_secret(secret)), "first code")
    first.click("main form button[type=submit]", "Xác nhận", load=True)

    codes = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#recovery-codes li")]
    assert len(codes) == 10
    first.click("main a.button", "continue", load=True)
    assert "/admin/" in browser.current_url
    assert AccountEvent.objects.filter(event="otp_enrolled", account=operator).exists()

    first.log_out()
    again = journey("two_factor_sign_in", browser)
    first_password(browser, again, operator.username)
    type_code(browser, again, code_for(TotpDevice.objects.get(user=operator)))
    assert "/admin/" in browser.current_url


def test_the_enrolment_page_fits_a_phone(phone, live_portal):
    operator = factories.province_user(
        "kythuat.viettel.hp", "31", role="connect_province", password=PASSWORD
    )
    walk = Journey("two_factor_phone", phone, live_portal.url)
    first_password(phone, walk, operator.username)
    qr = find(phone, ".qr svg")
    assert qr.size["width"] >= 200
    # Nothing wider than the screen: the key wraps, the QR code fits.
    wide = phone.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 0
    wait(phone).until(lambda d: d.find_element(By.ID, "id_code").is_displayed())
