"""The rules preview in headless Chromium: the decision first, each investor's diff folded.

Uses the browser and server of ``test_console_browser`` (skipped there and here without Chromium).
"""

from __future__ import annotations

from tests.webapi.conftest import Keys
from tests.webapi.test_console_browser import (  # noqa: F401  (fixtures)
    WAIT_SECONDS,
    browser,
    console_url,
    module_database_url,
    replaced,
    trained_versions,
)

CHANGE = "blend:\n  model: 0.0\n  stated: 1.0\n"
#: The preview of 20 investors with the offline replay was 13,920 px tall, the metrics at the bottom.
MAX_PAGE_HEIGHT = 4_000


def test_a_preview_of_20_investors_leads_with_the_decision_and_folds_the_lists(
    browser, console_url: str, keys: Keys  # type: ignore[no-untyped-def]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_SECONDS * 3)

    def find(selector: str):  # type: ignore[no-untyped-def]
        return wait.until(seen.visibility_of_element_located((By.CSS_SELECTOR, selector)))

    def submit(selector: str) -> None:
        old = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.CSS_SELECTOR, selector).click()
        wait.until(replaced(old))

    browser.get(f"{console_url}/console/login")
    find("#api_key").send_keys(keys.operator)
    submit("#sign-in")
    editor = find("#document")
    editor.clear()
    editor.send_keys(CHANGE)
    for name, value in (("sample", "20"), ("k", "20")):
        field = browser.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    offline = browser.find_element(By.NAME, "offline")
    if not offline.is_selected():
        offline.click()
    submit("#preview-button")

    changes, summary, metrics = find("#rule-changes"), find("#preview-summary"), find("#offline-metrics")
    assert "2 rules change, none reset to defaults" in changes.text
    assert "of 20 sampled investors' top 20" in summary.text
    folded = browser.find_elements(By.CSS_SELECTOR, "#preview details.investor-diff")
    assert len(folded) >= 5
    tops = [element.rect["y"] for element in (changes, summary, metrics, folded[0])]
    assert tops == sorted(tops), "what changes, the counts and the metrics come before the lists"
    height = browser.execute_script("return document.documentElement.scrollHeight")
    assert height < MAX_PAGE_HEIGHT, f"the preview page is {height} px tall"

    rows = folded[0].find_elements(By.CSS_SELECTOR, "tr")
    assert rows and not any(row.is_displayed() for row in rows)
    folded[0].find_element(By.TAG_NAME, "summary").click()
    assert all(row.is_displayed() for row in rows)
