"""Fixtures for the web UI browser tests: a real etcd, the storage-service binary in front of
it (the local mesh without proxies, Tests/support/servers.py), and a headless Chromium driven by
Selenium.

Everything runs on loopback ports picked at random, with data in pytest's tmp dirs, so the
tests can run next to a developer's own etcd and in parallel CI jobs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from servers import (  # noqa: E402  (the shared helpers live beside the test folders)
    Stack,
    executable,
    http_status,
    start_stack,
    unavailable,
    wait_until,
)

CHROMIUM_BIN = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER_BIN = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")

__all__ = ["Stack", "http_status", "unavailable", "wait_until"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Shared by the tests that keep etcd running."""
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    running.stop()


@pytest.fixture
def breakable_stack(tmp_path: Path) -> Iterator[Stack]:
    """A private etcd + service for a test that kills etcd; the shared `stack` stays intact."""
    running = start_stack(tmp_path)
    yield running
    running.stop()


# --- browser -----------------------------------------------------------------------------------


@pytest.fixture
def browser(tmp_path: Path):
    """Headless Chromium through the system chromedriver. Both paths are explicit so that
    selenium-manager never tries to download a driver or a browser."""
    chromium = executable(CHROMIUM_BIN, "chromium", " (set CHROMIUM_BIN)")
    chromedriver = executable(CHROMEDRIVER_BIN, "chromedriver", " (set CHROMEDRIVER_BIN)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (pip install selenium)")

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", f"--user-data-dir={tmp_path / 'chromium-profile'}"):  # fmt: skip
        options.add_argument(argument)
    # Console messages let a test notice uncaught script errors, which do not fail anything by themselves.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver, log_output=str(tmp_path / "chromedriver.log")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


# --- failure reports ---------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """When a test fails, attach the tail of each server log to its report: the cause of a UI
    failure (an etcd error, a crash) is usually only in there."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Stack):
            for name, tail in value.logs().items():
                report.sections.append((f"{name} log (tail)", tail))
