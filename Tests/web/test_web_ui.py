"""Browser tests of the storage-service web UI (GET /web) against a real etcd.

Run: swift build && python3 -m pytest -q Tests/web
Env: STORAGE_SERVICE_BIN, CHROMIUM_BIN, CHROMEDRIVER_BIN override the binaries (etcd is the one on PATH);
     WEB_SCREENSHOT=path.png saves a screenshot of the populated page; CI=true turns a
     missing prerequisite into a failure instead of a skip.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Optional

from conftest import Stack, http_status, unavailable, wait_until

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # the same skip-or-fail rule as for etcd and chromium
    unavailable("selenium is not installed (pip install selenium)", module_level=True)

XSS_KEY = "xss"
XSS_VALUE = """<img src=x onerror="document.title='pwned'">"""
CJK_KEY = "中文"
CJK_VALUE = "你好，世界 🌏"

UI_TIMEOUT = 10.0


# --- page helpers ------------------------------------------------------------------------------


def wait_for(driver: WebDriver, condition, message: str):
    """WebDriverWait with a message, so a timeout says what the page never did."""
    return WebDriverWait(driver, UI_TIMEOUT).until(condition, message)


def open_ui(driver: WebDriver, base_url: str) -> None:
    """Open /web and wait until its first list request has finished. A form submitted before
    that could have its fresh row overwritten by the older list answer."""
    driver.get(base_url + "/web")
    wait_for(
        driver,
        lambda d: d.execute_script(
            "return !document.getElementById('empty').hidden"
            " || document.getElementById('rows').children.length > 0"
            " || document.getElementById('status').textContent !== '';"
        ),
        "the page never finished its first GET /storage",
    )


def find_row(driver: WebDriver, key: str) -> Optional[WebElement]:
    """The row whose data-key equals `key` exactly. Compared in script rather than through a CSS
    attribute selector so that no key needs CSS escaping."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#rows tr')).find(tr => tr.dataset.key === arguments[0]) || null;",
        key,
    )


def text_of(row: WebElement, cell_class: str) -> str:
    # textContent, not .text: Selenium's .text normalises whitespace, and the check must be exact.
    return row.find_element(By.CSS_SELECTOR, f"td.{cell_class}").get_property("textContent")


def fill(field: WebElement, text: str) -> None:
    """Type into an input like a user does (key events, not a value set in script), so the
    form sees exactly what a browser would send, emoji included."""
    field.clear()
    field.send_keys(text)


def submit(driver: WebDriver, key: str, value: str) -> None:
    fill(driver.find_element(By.CSS_SELECTOR, "form input[name=key]"), key)
    fill(driver.find_element(By.CSS_SELECTOR, "form input[name=value]"), value)
    driver.find_element(By.XPATH, "//form//button[normalize-space()='Store']").click()


def store_and_wait(driver: WebDriver, key: str, value: str) -> None:
    """Submit one key and wait for its row; one at a time, because a successful submit resets
    the form and would clear a second key typed while the first was still in flight."""
    submit(driver, key, value)
    wait_for(driver, lambda d: find_row(d, key), f"no row for key {key!r} appeared")


def save_screenshot(driver: WebDriver) -> None:
    path = os.environ.get("WEB_SCREENSHOT")
    if path:
        driver.save_screenshot(path)


def script_errors(driver: WebDriver) -> list[str]:
    """Severe console messages other than failed requests (an HTTP error status is logged as
    'Failed to load resource' and is expected when etcd is down)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]
    ]


# --- HTTP helpers ------------------------------------------------------------------------------


def api_get(base_url: str, key: str) -> tuple[int, Any]:
    """GET /storage/:key through the service: (status, decoded JSON body)."""
    url = f"{base_url}/storage/{urllib.parse.quote(key, safe='')}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def etcd_value(etcd_url: str, key: str) -> Optional[str]:
    """The value etcd itself holds for service key `key` (etcd key "/key"), bypassing the service,
    so the test proves the data reached etcd and not only some cache in front of it."""
    body = json.dumps({"key": base64.b64encode(("/" + key).encode()).decode()}).encode()
    request = urllib.request.Request(etcd_url + "/v3/kv/range", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        kvs = json.load(response).get("kvs") or []
    return base64.b64decode(kvs[0].get("value", "")).decode() if kvs else None


def api_put(base_url: str, key: str, value: str) -> int:
    body = json.dumps({"key": key, "value": value}).encode()
    request = urllib.request.Request(
        base_url + "/storage", data=body, method="PUT", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def assert_stored(stack: Stack, key: str, value: str) -> None:
    status, body = api_get(stack.base_url, key)
    assert status == 200, f"GET /storage/{key} answered {status}: {body}"
    assert body["action"] == "get"
    assert body["node"]["key"] == "/" + key
    assert body["node"]["value"] == value
    assert etcd_value(stack.etcd_url, key) == value


# --- tests -------------------------------------------------------------------------------------


def test_values_are_shown_as_text_and_rows_can_be_removed(stack: Stack, browser: WebDriver) -> None:
    open_ui(browser, stack.base_url)
    original_title = browser.title

    store_and_wait(browser, XSS_KEY, XSS_VALUE)
    store_and_wait(browser, CJK_KEY, CJK_VALUE)
    save_screenshot(browser)
    # Looked up only now: every store re-renders the whole table, so older row elements go stale.
    xss_row = find_row(browser, XSS_KEY)
    cjk_row = find_row(browser, CJK_KEY)

    # The markup must arrive as the literal text: no element made from it, no script run by it.
    assert text_of(xss_row, "key") == XSS_KEY
    assert text_of(xss_row, "value") == XSS_VALUE
    assert browser.find_elements(By.CSS_SELECTOR, "table img") == []
    assert browser.execute_script("return document.title;") == original_title

    # Non-ASCII, full-width punctuation and an astral-plane emoji survive the round trip.
    assert text_of(cjk_row, "key") == CJK_KEY
    assert text_of(cjk_row, "value") == CJK_VALUE

    assert_stored(stack, XSS_KEY, XSS_VALUE)
    assert_stored(stack, CJK_KEY, CJK_VALUE)

    xss_row.find_element(By.CSS_SELECTOR, "button.remove").click()
    wait_for(browser, lambda d: find_row(d, XSS_KEY) is None, "the removed row is still shown")

    assert api_get(stack.base_url, XSS_KEY)[0] == 404
    assert etcd_value(stack.etcd_url, XSS_KEY) is None
    assert find_row(browser, CJK_KEY) is not None
    assert_stored(stack, CJK_KEY, CJK_VALUE)
    # Checked again after several more round trips: an onerror handler would have fired by now.
    assert browser.execute_script("return document.title;") == original_title
    assert script_errors(browser) == []


def test_store_with_etcd_down_shows_error(breakable_stack: Stack, browser: WebDriver) -> None:
    open_ui(browser, breakable_stack.base_url)
    original_title = browser.title

    breakable_stack.etcd.stop()
    # Wait until the service itself reports etcd gone, so the submit below cannot race the shutdown.
    wait_until(
        lambda: http_status(breakable_stack.base_url + "/readyz") == 503,
        breakable_stack.service,
        "503 from /readyz after etcd stopped",
    )

    submit(browser, "unreachable", "value")
    status = wait_for(
        browser,
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, "#status.error")), None),
        "div#status never got class 'error'",
    )
    assert "503" in status.text, f"status line: {status.text!r}"
    # The reason is short and names no internal address.
    assert "connection refused" in status.text, f"status line: {status.text!r}"
    assert "127.0.0.1" not in status.text, f"status line: {status.text!r}"

    # Still a working page: the script runs, the form is there and kept what the user typed.
    assert browser.execute_script("return document.title;") == original_title
    assert browser.find_element(By.CSS_SELECTOR, "form input[name=key]").get_property("value") == "unreachable"
    assert browser.find_elements(By.CSS_SELECTOR, "#rows tr") == []
    assert script_errors(browser) == []


def test_control_characters_are_shown_visibly(stack: Stack, browser: WebDriver) -> None:
    # A value no form can type, stored through the API: ESC sequences and BEL must not reach
    # the page as invisible bytes; tab and newline are kept.
    value = "\x1b[31mred\x1b[0m\x07 tab\there\nnext line"
    assert api_put(stack.base_url, "control", value) == 201
    open_ui(browser, stack.base_url)
    row = wait_for(browser, lambda d: find_row(d, "control"), "no row for the key 'control'")
    assert text_of(row, "value") == "\\x1b[31mred\\x1b[0m\\x07 tab\there\nnext line"
    assert script_errors(browser) == []


def test_direction_overrides_and_zero_width_characters_are_shown_visibly(stack: Stack, browser: WebDriver) -> None:
    # "invoice\u202efdp.exe" would render as "invoiceexe.pdf"; zero-width characters make two
    # keys look alike. Stored through the API, then shown as \uNNNN text, key and value.
    spoof = "invoice\u202efdp.exe"
    value = "a\u200bb\u2066c\u2069d\ufeffe\u061cf\u200eg\x85h"
    assert api_put(stack.base_url, spoof, value) == 201
    open_ui(browser, stack.base_url)
    row = wait_for(browser, lambda d: find_row(d, spoof), "no row for the spoofing key")
    key_text = text_of(row, "key")
    assert key_text == "invoice\\u202efdp.exe"
    assert "\u202e" not in key_text
    assert text_of(row, "value") == "a\\u200bb\\u2066c\\u2069d\\ufeffe\\u061cf\\u200eg\\x85h"
    # What the user sees, not only the DOM text: no raw control survives into the rendering.
    shown = browser.find_element(By.ID, "rows").text
    assert "\\u202e" in shown and "\u202e" not in shown and "\u200b" not in shown
    # The Remove button still removes the real key.
    row.find_element(By.CSS_SELECTOR, "button.remove").click()
    wait_for(browser, lambda d: find_row(d, spoof) is None, "the spoofing key's row is still shown")
    assert api_get(stack.base_url, spoof)[0] == 404
    assert script_errors(browser) == []


def test_content_security_policy_forbids_inline_script_and_framing(stack: Stack, browser: WebDriver) -> None:
    with urllib.request.urlopen(stack.base_url + "/web", timeout=5) as response:
        policy = response.headers["Content-Security-Policy"]
        page = response.read().decode()
    directives = {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";")}
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["base-uri"] == "base-uri 'none'"
    assert directives["form-action"] == "form-action 'self'"
    assert directives["script-src"] == "script-src 'self'"
    assert "unsafe-inline" not in policy
    assert "<script>" not in page and '<script src="/web/app.js"></script>' in page
    with urllib.request.urlopen(stack.base_url + "/web/app.js", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/javascript")
    # The browser enforces it: the page works (its script is the served file) and an inline
    # script injected into it does not run.
    open_ui(browser, stack.base_url)
    browser.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.injected = true;';"
        " document.body.append(s);"
    )
    assert browser.execute_script("return window.injected === undefined;")


def test_eight_one_mebibyte_values_are_listed(stack: Stack, browser: WebDriver) -> None:
    # 8 MiB of values: more than one etcd answer may hold; the page must still list them.
    for n in range(8):
        assert api_put(stack.base_url, f"large{n}", str(n) * (1 << 20)) == 201
    open_ui(browser, stack.base_url)
    for n in range(8):
        row = wait_for(browser, lambda d, n=n: find_row(d, f"large{n}"), f"no row for large{n}")
        assert len(text_of(row, "value")) == 1 << 20
    assert browser.find_elements(By.CSS_SELECTOR, "#status.error") == []
    for n in range(8):
        request = urllib.request.Request(f"{stack.base_url}/storage/large{n}", method="DELETE")
        urllib.request.urlopen(request, timeout=5).close()
    assert script_errors(browser) == []
