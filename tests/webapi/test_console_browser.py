"""The console end to end in headless Chromium, over real HTTP on 127.0.0.1.

An operator signs in, edits a rule, previews it (the diff), applies it with a reason, finds the
new version in the history, opens the models page (at 1280 px every Activate button and every
chart label is on screen) and the exposure page, and signs out (a copy of the cookie then no
longer signs anyone in). The browser and its
driver are the system's (``/usr/bin/chromium``, ``/usr/bin/chromedriver``; CI installs them):
nothing is downloaded. Without them the test is skipped, except in CI, where it fails.
"""

from __future__ import annotations

import os
import shutil
import struct
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from data.model_registry import CANDIDATE, ModelVersion, register_version
from tests.conftest import running_in_ci
from tests.webapi.conftest import AS_OF, TINY, Keys, ServedMarket

CHROMIUM = Path(os.environ.get("ASSETMATCH_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("ASSETMATCH_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
CHANGE = "blend:\n  model: 0.0\n  stated: 1.0\n"
WAIT_SECONDS = 20
WIDTH = 1280
#: The promotion gate's note, as long as a real one: the table must wrap it, not overflow.
GATE_NOTE = (
    "rejected: ndcg@10 0.1960 is -5.8% against active version 20261201T101010-a1b2c3 (0.2080); "
    "allowed: tolerance 2%, holdout noise ndcg@10 ±0.0041, buyer_recall@50 ±0.0102"
)


def _unavailable(reason: str) -> None:
    if running_in_ci():
        pytest.fail(f"the console's browser test needs Chromium and ChromeDriver in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def module_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One backend is enough here: the store paths are covered by the test-client tests on both."""
    return f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.sqlite'}"


@pytest.fixture(scope="module")
def trained_versions(served_market: ServedMarket) -> list[str]:
    """Versions named and measured as training names and measures them, each against the active one."""
    names = [f"2026120{day}T101010-a1b2c{day}" for day in range(1, 6)]
    metrics = {
        "ndcg@10": 0.196, "buyer_recall@50": 0.61, "precision@10": 0.041, "recall@10": 0.12,
        "hit_rate@10": 0.33, "buyer_recall@20": 0.44,
    }
    with served_market.engine.begin() as connection:
        for day, name in enumerate(names, start=1):
            register_version(
                connection,
                ModelVersion(
                    version=name,
                    created_at=AS_OF + timedelta(days=day),
                    status=CANDIDATE,
                    artifact_path=str(served_market.folder / "absent.npz"),
                    trained_until=AS_OF,
                    event_high_water=0,
                    params=TINY.to_dict(),
                    metrics={
                        "holdout": {"cutoff": "2026-06-06T00:00:00", "end": "2026-06-20T00:00:00"},
                        "candidate": metrics,
                        "active": {
                            "version": "A", "metrics": {**metrics, "ndcg@10": 0.2}, "measured": "refit"
                        },
                    },
                    note=GATE_NOTE,
                ),
            )
    return names


def replaced(old):  # type: ignore[no-untyped-def]
    """A wait condition: ``old`` has left the document (the next page replaced it).

    Chromium sometimes answers a query about a node of the page being replaced with "Node with
    given id does not belong to the document" rather than a stale-element error: both mean gone.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def gone(_driver):  # type: ignore[no-untyped-def]
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    return gone


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


@pytest.fixture(scope="module")
def console_url(served_market: ServedMarket, trained_versions: list[str]) -> Iterator[str]:
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
        f"--window-size={WIDTH},1000",
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
    tmp_path: Path,
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
        wait.until(replaced(old))

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
    assert "serves the active model A" in find("#serving-summary").text
    check_models_page_fits(browser, tmp_path)

    browser.find_element(By.LINK_TEXT, "Exposure").click()
    assert "live packages are below the floor" in find("#exposure-summary").text
    bars = browser.find_elements(By.CSS_SELECTOR, "#exposure-chart g.bar rect")
    assert bars and any(float(bar.get_attribute("height")) > 0 for bar in bars)
    assert find("#exposure tbody tr.below td.why").text  # a listing below the floor says why
    browser.find_element(By.CSS_SELECTOR, "#exposure-pager a[rel=next]").click()
    assert "(page 2 of" in find("#exposure-pager").text
    browser.find_element(By.CSS_SELECTOR, "#exposure tbody tr a").click()
    assert "had it in their top 20" in find("#package-summary").text

    copied = browser.get_cookie("session")
    submit("#sign-out")
    assert "Signed out." in find(".flash-info").text
    browser.get(f"{console_url}/console/models")
    assert "/console/login" in browser.current_url
    browser.delete_all_cookies()
    browser.add_cookie({"name": "session", "value": copied["value"], "path": "/"})  # replay the old cookie
    browser.get(f"{console_url}/console/rules")
    assert "/console/login" in browser.current_url
    assert "Your sign-in has ended" in find(".flash-error").text


def check_models_page_fits(browser, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """At 1280 px nothing overflows sideways, every Activate button is on screen and clickable,
    and no chart label is cut off by its chart."""
    from selenium.webdriver.common.by import By

    viewport = browser.execute_script("return [window.innerWidth, document.documentElement.clientWidth]")
    assert WIDTH - 20 <= viewport[1] <= viewport[0] <= WIDTH  # 1280 px wide, less a scrollbar at most
    overflow = browser.execute_script("return document.documentElement.scrollWidth")
    assert overflow <= viewport[1], f"the page is {overflow} px wide in a {viewport[1]} px window"
    buttons = browser.find_elements(By.CSS_SELECTOR, "#models button.activate")
    assert len(buttons) >= 6  # B and the five trained versions
    for button in buttons:
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        hit = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            "const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
            "return [r.left, r.right, r.width, at === arguments[0] || arguments[0].contains(at)];",
            button,
        )
        left, right, width, on_top = hit
        assert width > 20 and left >= 0 and right <= viewport[1], hit  # wholly inside the window
        assert on_top, "the Activate button is covered or clipped"
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.metric-chart")
    assert len(charts) == 2
    for chart in charts:
        browser.execute_script("arguments[0].scrollIntoView()", chart)
        outside = browser.execute_script(
            "const box = arguments[0].getBoundingClientRect();"
            "return [...arguments[0].querySelectorAll('text')]"
            ".map(t => [t.textContent, t.getBoundingClientRect()])"
            ".filter(([, r]) => r.left < box.left - 0.5 || r.right > box.right + 0.5"
            " || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5).map(([s]) => s);",
            chart,
        )
        assert outside == [], f"chart labels cut off: {outside}"
        labels = [t.text for t in chart.find_elements(By.CSS_SELECTOR, "text.version-label")]
        assert "12-05 10:10:10" in labels
    browser.execute_script("arguments[0].scrollIntoView()", browser.find_element(By.ID, "models"))
    (folder / "models-1280-table.png").write_bytes(browser.get_screenshot_as_png())
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot = browser.get_screenshot_as_png()
    (folder / "models-1280.png").write_bytes(screenshot)  # kept with the test's files to look at
    ratio = browser.execute_script("return window.devicePixelRatio")
    assert png_size(screenshot)[0] == round(viewport[0] * ratio)
    activate = browser.find_element(By.CSS_SELECTOR, "#models button.activate")
    assert png_size(activate.screenshot_as_png)[0] >= 20  # the button itself is painted
