"""The playground in a real browser: headless Chromium (Debian's ``chromium`` package), driven by
Playwright, against ``twolayer playground`` run as a real process.

Skipped without Playwright (``pip install '.[playground-test]'``) or without Chromium
(``apt-get install chromium``); ``.ci/run`` installs both.  Playwright's own browser download
is never used: it launches the system's Chromium by its path.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from browser_page import iteration_reaches, number, open_page, state, steady, wait_for
from helpers import RAW_TABLE as RAW
from helpers import Served, playground_server, run_cli


def test_play_trains_the_loss_falls_and_pause_stops(page: Any) -> None:
    page.open("#dataset=circle&seed=1&speed=5")
    assert page.get_by_test_id("iteration").text_content() == "0"
    first = number(page, "train-loss")
    page.get_by_test_id("play").click()
    iteration_reaches(page, 80)
    assert number(page, "train-loss") < first
    page.get_by_test_id("pause").click()
    page.get_by_test_id("play").wait_for(state="visible")
    paused = float(steady(page, "iteration"))
    page.wait_for_timeout(400)
    assert number(page, "iteration") == paused


def test_the_learning_rate_changes_mid_run(page: Any) -> None:
    page.open("#dataset=gaussians&lr=0.05&speed=2")
    page.get_by_test_id("play").click()
    before = iteration_reaches(page, 20)
    page.get_by_test_id("lr").fill("0.002")
    page.get_by_test_id("lr").press("Enter")
    wait_for(page, "lr-now", "v => v === '0.002'")  # the server trains at the new rate
    assert number(page, "iteration") >= before  # the same run goes on: nothing was reset
    iteration_reaches(page, before + 20)
    assert "lr=0.002" in page.url
    page.get_by_test_id("optimizer").select_option("momentum")
    page.wait_for_function("() => location.hash.includes('optimizer=momentum')")
    assert number(page, "iteration") >= before + 20
    page.get_by_test_id("pause").click()


def test_step_reset_and_settings_that_reset(page: Any) -> None:
    page.open("#dataset=xor")
    page.get_by_test_id("step").click()
    wait_for(page, "iteration", "v => v === '1'")
    page.get_by_test_id("step").click()
    wait_for(page, "iteration", "v => v === '2'")
    page.get_by_test_id("reset").click()
    wait_for(page, "iteration", "v => v === '0'")
    page.get_by_test_id("step").click()
    wait_for(page, "iteration", "v => v === '1'")
    page.get_by_test_id("hidden").fill("3")
    page.get_by_test_id("hidden").press("Enter")
    wait_for(page, "message", "v => v.includes('rebuilt')")  # it says so, and resets
    wait_for(page, "iteration", "v => v === '0'")
    assert page.get_by_test_id("dead").text_content().endswith("of 3")


def test_a_url_hash_restores_every_setting(page: Any) -> None:
    page.open("#dataset=xor&hidden=5&optimizer=momentum&lr=0.1&seed=3")
    for _ in range(2):  # as opened, then after a reload
        assert page.get_by_test_id("dataset").input_value() == "xor"
        assert page.get_by_test_id("hidden").input_value() == "5"
        assert page.get_by_test_id("optimizer").input_value() == "momentum"
        assert page.get_by_test_id("lr").input_value() == "0.1"
        assert "activation=relu" in page.url  # the hash holds every setting, defaults too
        page.reload()
        wait_for(page, "train-loss", "v => v !== '–'")


def test_views_that_need_two_inputs_switch_for_other_data(page: Any) -> None:
    page.open("#dataset=digits&hidden=6")
    assert page.get_by_test_id("boundary").is_hidden()
    assert page.locator("#activations canvas").is_visible()
    assert page.locator("#weight-matrices canvas").first.is_visible()


def test_clicks_add_points_that_the_url_keeps(page: Any) -> None:
    page.open("#dataset=circle&samples=100")
    count = page.get_by_test_id("message").text_content()
    assert count.startswith("70 training")
    page.get_by_test_id("boundary").click(position={"x": 60, "y": 60})
    page.wait_for_function("() => location.hash.includes('edits=a')")
    wait_for(page, "message", "v => v.startsWith('71 training')")
    page.reload()
    wait_for(page, "message", "v => v.startsWith('71 training')")


def test_the_downloaded_model_is_read_by_twolayer_predict(
    page: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page.open("#dataset=xor&seed=2&speed=20")
    page.get_by_test_id("play").click()
    iteration_reaches(page, 150)
    page.get_by_test_id("pause").click()
    with page.expect_download() as download:
        page.get_by_test_id("download-model").click()
    model = tmp_path / "model.npz"
    download.value.save_as(model)
    (tmp_path / "x.csv").write_text("x1,x2\n0.6,0.6\n-0.6,0.6\n0.6,-0.6\n-0.6,-0.6\n")
    code, out, err = run_cli(["predict", "--model", str(model), "--data", str(tmp_path / "x.csv")],
                             capsys)  # fmt: skip
    assert (code, err) == (0, "")
    labels = [row["label"] for row in csv.DictReader(io.StringIO(out))]
    assert labels == ["0", "1", "1", "0"]  # xor: class 1 where the signs differ
    with page.expect_download() as download:
        page.get_by_test_id("download-history").click()
    history = tmp_path / "history.csv"
    download.value.save_as(history)
    assert history.read_text().startswith("iteration,loss,test_loss")


def test_a_screenshot_is_not_blank(
    page: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    image = pytest.importorskip("PIL.Image")
    page.open("#dataset=spiral&classes=3&hidden=16&lr=0.02&speed=20&noise=0.04")
    page.get_by_test_id("play").click()
    iteration_reaches(page, 1200)
    page.get_by_test_id("pause").click()
    page.get_by_test_id("play").wait_for(state="visible")
    page.wait_for_timeout(200)  # the last frame drawn
    shot = tmp_path / "playground.png"
    page.screenshot(path=str(shot), full_page=True)
    picture = image.open(shot).convert("RGB")
    colours = picture.getcolors(maxcolors=1 << 20) or []
    assert picture.size[0] >= 1000 and len(colours) > 500  # drawn views, not an empty page
    boundary = page.get_by_test_id("boundary").screenshot()
    small = image.open(io.BytesIO(boundary)).convert("RGB")
    assert len(small.getcolors(maxcolors=1 << 20) or []) > 50  # the boundary is coloured
    keep = request.config.getoption("--playground-screenshot")
    if keep:
        Path(keep).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, keep)


def test_your_own_csv_trains(browser: Any, tmp_path: Path) -> None:
    rows = [(i / 25 - 1, (i * 7 % 50) / 25 - 1) for i in range(50)]
    path = tmp_path / "mine.csv"
    path.write_text("u,v,y\n" + "".join(f"{u},{v},{u * u - v}\n" for u, v in rows))
    with playground_server("--data", str(path), "--target", "y") as served:
        context = browser.new_context(viewport={"width": 1360, "height": 980})
        tab = context.new_page()
        open_page(tab, served.url)
        assert tab.get_by_test_id("dataset").input_value() == "file"
        assert tab.locator("#plane-title").text_content() == "fitted surface"
        first = number(tab, "train-loss")
        tab.get_by_test_id("play").click()
        iteration_reaches(tab, 60)
        assert number(tab, "train-loss") < first
        context.close()


def test_an_uploaded_raw_table_trains(page: Any) -> None:
    page.open("#dataset=xor")
    page.get_by_test_id("upload").set_input_files(
        {"name": "raw.csv", "mimeType": "text/csv", "buffer": RAW.encode()}
    )
    page.wait_for_function("() => location.hash.includes('dataset=file')")
    wait_for(page, "message", "v => v.startsWith('raw.csv: 12 rows')")
    assert page.get_by_test_id("dataset").input_value() == "file"
    assert page.locator('[data-testid="dataset"] option[value="file"]').text_content() == "raw.csv"
    target = page.get_by_test_id("upload-target")
    assert target.input_value() == "6"  # the last column, label
    assert target.locator("option").all_text_contents() == [
        "name",
        "age",
        "colour",
        "member",
        "score",
        "label",
    ]
    assert "'name' is ignored" in page.get_by_test_id("upload-notes").text_content()
    assert state(page, "s.data.task") == "classification"
    assert "colour=red" in state(page, "s.data.features")
    first = number(page, "train-loss")
    page.get_by_test_id("play").click()
    iteration_reaches(page, 40)
    assert number(page, "train-loss") < first
    page.get_by_test_id("pause").click()
    target.select_option("5")  # score: fractions, so regression is guessed
    page.wait_for_function("() => window.twolayerPlayground.data.task === 'regression'")
    assert state(page, "s.data.targets") == ["score"]
    wait_for(page, "message", "v => v.startsWith('raw.csv: 11 rows')")  # one has no score


def test_an_upload_too_large_or_unreadable_is_one_clear_message(
    browser: Any, server: Served
) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 980})
    tab = context.new_page()
    sent: list[str] = []
    tab.on("request", lambda r: sent.append(r.url) if "/upload?" in r.url else None)
    open_page(tab, server.url + "#dataset=circle")
    upload = tab.get_by_test_id("upload")
    upload.set_input_files({"name": "big.csv", "mimeType": "text/csv",
                            "buffer": b"0" * (10 * 1024 * 1024 + 1)})  # fmt: skip
    wait_for(tab, "message", "v => v.includes('larger than the 10.0 MiB an upload may hold')")
    assert sent == []  # refused by the page, never sent
    upload.set_input_files({"name": "ragged.csv", "mimeType": "text/csv",
                            "buffer": b"a,b,y\n1,2,3\n4,5\n6\n"})  # fmt: skip
    wait_for(tab, "message", "v => v.startsWith('ragged.csv: 2 problems: row 3 has 2 columns')")
    assert tab.locator("#message").get_attribute("class") == "error"
    assert tab.get_by_test_id("dataset").input_value() == "circle"  # nothing changed
    context.close()


def test_without_the_token_the_page_asks_for_it_and_keeps_the_links_settings(
    browser: Any, server: Served
) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 980})
    tab = context.new_page()
    response = tab.goto(server.origin + "/#dataset=xor&hidden=5")
    assert response.status == 403 and tab.get_by_test_id("boundary").count() == 0
    tab.get_by_test_id("token").fill("a guess")
    tab.get_by_test_id("token").press("Enter")
    tab.wait_for_url("**token=a%20guess#dataset=xor&hidden=5")
    assert tab.get_by_test_id("boundary").count() == 0  # still refused
    tab.get_by_test_id("token").fill(server.token)
    tab.get_by_test_id("token").press("Enter")
    wait_for(tab, "train-loss", "v => v !== '–'")
    assert tab.get_by_test_id("dataset").input_value() == "xor"  # the link's settings
    assert tab.get_by_test_id("hidden").input_value() == "5"
    assert "token" not in tab.url  # the token left the address (a copied link holds none)
    context.close()


def test_a_page_of_another_site_cannot_frame_the_playground(browser: Any, server: Served) -> None:
    context = browser.new_context()
    tab = context.new_page()
    tab.set_content(f'<iframe src="{server.url}" width="800" height="600"></iframe>')
    tab.wait_for_timeout(1500)
    framed = [f for f in tab.frames if f is not tab.main_frame]
    assert len(framed) == 1
    for test_id in ("boundary", "token"):  # neither the page nor its token form shows
        assert framed[0].query_selector(f'[data-testid="{test_id}"]') is None
    context.close()


def test_dns_rebinding_cannot_read_the_page_even_with_the_token(
    launch: Any, server: Served
) -> None:
    """A name of another site pointed at 127.0.0.1 (what DNS rebinding does): Chromium loads
    it from this server, which refuses it by its Host."""
    chromium = launch("--host-resolver-rules=MAP evil.example 127.0.0.1")
    tab = chromium.new_page()
    evil = f"http://evil.example:{server.port}"
    response = tab.goto(f"{evil}/?token={server.token}")
    assert response.status == 403 and "is not this server" in tab.content()
    options = tab.evaluate("async (u) => (await fetch(u)).status", f"{evil}/api/options")
    assert options == 403
    chromium.close()


def test_the_page_opens_from_the_private_redirect_file(
    browser: Any, server: Served, tmp_path: Path
) -> None:
    """What `twolayer playground` opens: a file only its owner can read, which sends the browser
    on to the address with the token (a command line with the token would be visible to every
    account of the machine)."""
    from twolayer.playground.server import redirect_file

    path = redirect_file(server.url, tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    context = browser.new_context(viewport={"width": 1360, "height": 980})
    tab = context.new_page()
    tab.goto(path.as_uri())
    wait_for(tab, "train-loss", "v => v !== '–'")
    assert tab.url.startswith(server.origin + "/#dataset=") and "token" not in tab.url
    context.close()
