"""The console end to end in headless Chromium, over real HTTP on 127.0.0.1.

An operator signs in, edits a rule, previews it (the diff), applies it with a reason, finds the
new version in the history, and opens the models and exposure pages. The browser and its
driver are the system's (``/usr/bin/chromium``, ``/usr/bin/chromedriver``; CI installs them):
nothing is downloaded. Without them the test is skipped, except in CI, where it fails.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import running_in_ci
from tests.webapi.conftest import Keys, ServedMarket

CHROMIUM = Path(os.environ.get("ASSETMATCH_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("ASSETMATCH_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
CHANGE = "blend:\n  model: 0.0\n  stated: 1.0\n"
WAIT_SECONDS = 20


def _unavailable(reason: str) -> None:
    if running_in_ci():
        pytest.fail(f"the console's browser test needs Chromium and ChromeDriver in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def module_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One backend is enough here: the store paths are covered by the test-client tests on both."""
    return f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.sqlite'}"


@pytest.fixture(scope="module")
def console_url(served_market: ServedMarket) -> Iterator[str]:
    app = served_market.app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)
    app.extensions["assetmatch.engine"].dispose()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        _unavailable(f"selenium is not installed ({error}); install the test extra")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (path.is_file() and os.access(path, os.X_OK)):
            _unavailable(f"{path} is not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,1000",
    ):
        options.add_argument(argument)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # selenium-manager must never fetch a browser or driver
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_an_operator_changes_a_rule_and_checks_models_and_exposure(
    browser,
    console_url: str,
    keys: Keys,  # type: ignore[no-untyped-def]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_SECONDS)

    def find(selector: str):  # type: ignore[no-untyped-def]
        return wait.until(seen.visibility_of_element_located((By.CSS_SELECTOR, selector)))

    def submit(selector: str) -> None:
        """Click a submit button and wait until the next page has replaced this one."""
        old = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.CSS_SELECTOR, selector).click()
        wait.until(seen.staleness_of(old))

    browser.get(f"{console_url}/console/")
    assert "/console/login?next=" in browser.current_url
    find("#api_key").send_keys(keys.platform)
    submit("#sign-in")
    assert "A platform key cannot sign in" in find("#login-error").text

    find("#api_key").send_keys(keys.operator)
    submit("#sign-in")
    assert browser.current_url.endswith("/console/rules")
    assert "In force: version 0" in find("#active-rules").text

    editor = find("#document")
    editor.clear()
    editor.send_keys(CHANGE)
    for name, value in (("sample", "10"), ("k", "10")):
        field = browser.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    submit("#preview-button")
    summary = find("#preview-summary").text
    assert "of 10 sampled investors' top 10 change" in summary
    entered = browser.find_elements(By.CSS_SELECTOR, "#preview tr.diff-in")
    left = browser.find_elements(By.CSS_SELECTOR, "#preview tr.diff-out")
    assert entered and left
    assert (
        entered[0].value_of_css_property("background-color") == "rgba(218, 251, 225, 1)"
    )  # the stylesheet's green
    assert left[0].value_of_css_property("background-color") == "rgba(255, 235, 233, 1)"  # and its red
    assert "candidate − active" in find("#offline-metrics").text
    assert find("#document").get_attribute("value").strip() == CHANGE.strip()

    find("#why").send_keys("weigh stated preferences")
    submit("#apply")
    assert "Rule set version 1 is active: weigh stated preferences" in find(".flash-success").text
    assert "In force: version 1" in find("#active-rules").text
    version = find("#version-1")
    assert "weigh stated preferences" in version.text and "blend.stated" in version.text

    browser.find_element(By.LINK_TEXT, "Models").click()
    assert "Model versions" in find("h1").text
    assert find("#model-A").text.startswith("A")
    assert browser.find_elements(By.CSS_SELECTOR, "#model-B button.activate")
    assert browser.find_elements(By.CSS_SELECTOR, "#metrics-chart circle")

    browser.find_element(By.LINK_TEXT, "Exposure").click()
    assert "live packages are below the floor" in find("#exposure-summary").text
    bars = browser.find_elements(By.CSS_SELECTOR, "#exposure-chart g.bar rect")
    assert bars and any(float(bar.get_attribute("height")) > 0 for bar in bars)
    assert find("#exposure tbody tr.below td.why").text  # a listing below the floor says why
    browser.find_element(By.CSS_SELECTOR, "#exposure-pager a[rel=next]").click()
    assert "(page 2 of" in find("#exposure-pager").text
    browser.find_element(By.CSS_SELECTOR, "#exposure tbody tr a").click()
    assert "had it in their top 20" in find("#package-summary").text

    submit("#sign-out")
    assert "Signed out." in find(".flash-info").text
    browser.get(f"{console_url}/console/models")
    assert "/console/login" in browser.current_url
