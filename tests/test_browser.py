"""The admin in a real browser: Debian's headless Chromium, driven by Selenium.

The test logs into the admin, opens the overview, runs a job with the run-now form (inline:
no engine needed), finds the run in the runs list with its final status, and opens its page.
It saves a screenshot of each page under pytest's tmp dir; with ``UPDATE_SCREENSHOTS=1`` it
also writes them to ``docs/img/`` for docs/admin.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import override_settings
from pytest_django.live_server_helper import LiveServer

from tests.engine import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DOCS_IMG = ROOT / "docs" / "img"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[LiveServer]:
    """pytest-django's live server, serving the admin's static files and ours: its handler
    reads ``STATIC_URL`` and ``STATIC_ROOT`` when it starts, and the tests' settings have none
    (the session's ``live_server`` would fail every request)."""
    static = tmp_path / "static"
    static.mkdir()
    (static / "admin").symlink_to(Path(admin.__file__).parent / "static" / "admin")
    (static / "django_hatchet").symlink_to(ROOT / "django_hatchet" / "static" / "django_hatchet")
    with override_settings(
        STATIC_URL="/static/",
        STATIC_ROOT=str(static),
        ALLOWED_HOSTS=["localhost", "testserver"],
        HATCHET_ENQUEUE_ON_COMMIT=False,
    ):
        live = LiveServer("localhost")
        yield live
        live.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        message = (
            f"Chromium is not installed ({', '.join(missing)}): "
            "apt-get install chromium chromium-driver (scripts/test does)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options
    )
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(browser: Any, tmp_path: Path) -> Any:
    """Save the page as ``<name>.png`` in the test's tmp dir (and docs/img, when asked)."""
    update = os.environ.get("UPDATE_SCREENSHOTS") == "1"

    def save(name: str) -> Path:
        target = tmp_path / f"{name}.png"
        assert browser.save_screenshot(str(target)), target
        if update:
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, DOCS_IMG / f"{name}.png")
        return target

    return save


def fits(browser: Any) -> None:
    """The page needs no horizontal scrolling (the window is 1,280 px wide)."""
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow} px wider than the window"


def log_in(browser: Any, server: LiveServer) -> None:
    """As a new superuser, through the admin's login form."""
    from selenium.webdriver.common.by import By

    User.objects.create_superuser("admin", "admin@example.com", "a-long-password")
    browser.get(f"{server.url}/admin/")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys("a-long-password")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert browser.find_element(By.ID, "user-tools").text.upper().startswith("WELCOME")


def test_run_a_job_from_the_admin_in_a_browser(
    server: LiveServer, browser: Any, screenshot: Any, clean_inline_history: None
) -> None:
    from selenium.webdriver.common.by import By

    log_in(browser, server)

    # The overview, from the admin index.
    browser.find_element(By.LINK_TEXT, "Overview").click()
    assert browser.title.startswith("Hatchet jobs")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "tests.testapp.tasks.add" in body
    assert "inline" in body
    # The admin's own styles are loaded: the header is laid out, not bare text.
    header = browser.find_element(By.ID, "header")
    assert header.value_of_css_property("display") == "flex"
    fits(browser)
    screenshot("admin-overview")

    # Run now, with the form.
    browser.find_element(
        By.XPATH,
        "//tr[@class='hatchet-job'][.//strong[normalize-space(.)='tests.testapp.tasks.add']]"
        "//a[text()='Run now']",
    ).click()
    browser.find_element(By.NAME, "args").send_keys("[2, 3]")
    fits(browser)
    screenshot("admin-run-now")
    browser.find_element(By.NAME, "_run").click()
    message = browser.find_element(By.CSS_SELECTOR, "ul.messagelist li.success").text
    assert "tests.testapp.tasks.add run" in message.lower()
    assert "enqueued" in message
    run_id = message.split(" run ")[1].split()[0]

    # The runs list shows it, finished.
    browser.find_element(By.LINK_TEXT, "Runs").click()
    row = browser.find_element(By.CSS_SELECTOR, f'tr.hatchet-run[data-run-id="{run_id}"]')
    assert "tests.testapp.tasks.add" in row.text
    assert row.find_element(By.CSS_SELECTOR, ".hatchet-badge").text == "completed"
    fits(browser)
    screenshot("admin-runs")

    # Its page, with the output.
    row.find_element(By.TAG_NAME, "a").click()
    assert browser.find_element(By.CSS_SELECTOR, "h2 .hatchet-badge").text == "completed"
    assert run_id in browser.find_element(By.TAG_NAME, "h2").text
    assert browser.find_element(By.ID, "run-output").text == "5"
    screenshot("admin-run")


def test_a_workflows_and_a_canvass_steps_drawn_on_their_pages(
    server: LiveServer, browser: Any, screenshot: Any, clean_inline_history: None
) -> None:
    from selenium.webdriver.common.by import By

    from django_hatchet import chord
    from tests.testapp import tasks, workflows

    log_in(browser, server)

    run = workflows.orders.delay(3)
    browser.get(f"{server.url}/admin/django_hatchet/run/{run.id}/change/")
    graph = browser.find_element(By.ID, "run-graph")
    assert graph.size["width"] > 500
    assert graph.size["height"] > 80
    steps = graph.find_elements(By.CSS_SELECTOR, "g.hatchet-graph-node")
    assert [s.get_attribute("data-step") for s in steps] == ["load", "price", "reserve", "bill"]
    assert {s.get_attribute("data-status") for s in steps} == {"COMPLETED"}
    screenshot("admin-workflow-run")

    canvas = chord([tasks.add.s(i, i) for i in range(4)], tasks.fail.s()).delay()
    browser.get(f"{server.url}/admin/django_hatchet/run/{canvas.id}/change/")
    graph = browser.find_element(By.ID, "run-graph")
    statuses = [
        s.get_attribute("data-status")
        for s in graph.find_elements(By.CSS_SELECTOR, "g.hatchet-graph-node")
    ]
    assert statuses == ["COMPLETED"] * 4 + ["FAILED"]
    screenshot("admin-canvas-run")
    # Each step is a link to its own run's page.
    graph.find_elements(By.CSS_SELECTOR, "a")[-1].click()
    assert browser.find_element(By.CSS_SELECTOR, "h2 .hatchet-badge").text == "failed"
    assert canvas.children[1].id in browser.find_element(By.TAG_NAME, "h2").text


def test_add_a_cron_in_the_admin_in_a_browser(
    server: LiveServer, browser: Any, screenshot: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    log_in(browser, server)
    browser.find_element(By.LINK_TEXT, "Crons").click()
    assert "nightly-sum" in browser.find_element(By.ID, "settings-crons").text
    browser.find_element(By.CSS_SELECTOR, ".object-tools a.addlink").click()
    browser.find_element(By.NAME, "name").send_keys("hourly-sum")
    Select(browser.find_element(By.NAME, "job")).select_by_value("tests.testapp.tasks.add")
    browser.find_element(By.NAME, "schedule").send_keys("0 9 * * MON")  # Refused: a name.
    browser.find_element(By.NAME, "args").send_keys("[1, 2]")
    browser.find_element(By.NAME, "description").send_keys("Adds up, every hour.")
    browser.find_element(By.NAME, "_save").click()
    error = browser.find_element(By.CSS_SELECTOR, ".field-schedule .errorlist").text
    assert "Hatchet would refuse this schedule" in error
    fits(browser)
    screenshot("admin-cron-form")
    schedule = browser.find_element(By.NAME, "schedule")
    schedule.clear()
    schedule.send_keys("0 * * * *")
    browser.find_element(By.NAME, "_save").click()
    row = browser.find_element(By.CSS_SELECTOR, "#result_list tbody tr")
    assert "hourly-sum" in row.text
    assert "(1, 2)" in row.text
    assert "no engine (inline)" in row.text
    fits(browser)
    screenshot("admin-crons")


def test_a_running_runs_bar_moves_and_the_page_reloads_when_it_ends(
    server: LiveServer, browser: Any, screenshot: Any, fake_engine: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from django_hatchet.runs.progress import Progress
    from tests.admin_fixtures import row

    running = row(status="RUNNING", finished_at=None, output=None)
    fake_engine.rows = [running]
    fake_engine.reports = {running.id: Progress(1, 4, "reading the file")}
    log_in(browser, server)
    browser.get(f"{server.url}/admin/django_hatchet/run/{running.id}/change/")
    bar = browser.find_element(By.CSS_SELECTOR, "#run-progress progress")
    assert bar.get_attribute("value") == "25"
    text = browser.find_element(By.CSS_SELECTOR, "#run-progress .hatchet-progress-text")
    assert text.text == "1/4 (25 %): reading the file"
    fits(browser)
    screenshot("admin-run-progress")

    # The job reports on: the bar follows, without a reload.
    fake_engine.reports = {running.id: Progress(3, 4, "writing the rows")}
    WebDriverWait(browser, 10).until(lambda b: "writing" in text.text)
    assert bar.get_attribute("value") == "75"

    # It ends: the page reloads, and shows the output.
    from dataclasses import replace

    fake_engine.rows = [replace(running, status="COMPLETED", output={"rows": 4})]
    fake_engine.reports = {running.id: Progress(4, 4, "done")}
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "run-output"))
    assert browser.find_element(By.CSS_SELECTOR, "h2 .hatchet-badge").text == "completed"
    assert "4/4 (100 %): done" in browser.find_element(By.ID, "run-progress").text
