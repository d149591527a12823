"""The playground as a teacher, in a real browser: the fixes found by trying it as a learner, what
TensorFlow Playground has (features, discretized output, test points, regenerate, classroom
links, weights set by clicking, a unit's map on the plane, legends and axes), and the views of
its own (one sample followed through the network, guided lessons).  Fixtures: conftest.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from browser_page import iteration_reaches, number, open_page, state, steady, train_to, wait_for
from helpers import Served, playground_server, run_cli


def pixels(tab: Any, points: list[list[float]]) -> list[list[int]]:
    """The boundary canvas's colour at each canvas position (CSS pixels)."""
    return tab.evaluate(
        """(points) => {
            const c = document.querySelector('[data-testid="boundary"]');
            const r = window.devicePixelRatio || 1, ctx = c.getContext('2d');
            return points.map(([x, y]) => Array.from(ctx.getImageData(Math.round(x * r), Math.round(y * r), 1, 1).data).slice(0, 3));
        }""",
        points,
    )


def point_positions(tab: Any, which: str = "train") -> list[list[float]]:
    return tab.evaluate(
        """async (which) => {
            const plane = await import('/static/plane.js');
            return plane.pointPositions(window.twolayerPlayground.data).filter((p) => p[2] === which);
        }""",
        which,
    )


def distance(a: list[int], b: list[int]) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5


def save(request: pytest.FixtureRequest, tab: Any, name: str, **options: Any) -> None:
    """Keep a screenshot for the docs when --playground-images names a folder."""
    folder = request.config.getoption("--playground-images")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(folder) / name), **options)


# --- bugs found by trying the page as a learner --------------------------------------------------


def test_a_clicked_point_keeps_the_loss_curve(page: Any) -> None:
    page.open("#dataset=circle&speed=10")
    train_to(page, 60)
    before = int(steady(page, "loss-chart", "data-points"))
    page.get_by_test_id("boundary").click(position={"x": 80, "y": 80})
    wait_for(page, "message", "v => v.startsWith('211 training')")
    page.wait_for_timeout(200)
    assert (
        before >= 60
        and int(page.get_by_test_id("loss-chart").get_attribute("data-points")) == before
    )


def test_a_bad_link_keeps_its_good_settings_and_says_what_was_not_kept(page: Any) -> None:
    page.open("#dataset=xor&hidden=lots&lr=0.07&samples=5")
    page.wait_for_timeout(1000)  # the message stays (it was gone after 25 ms)
    message = page.get_by_test_id("message")
    text = message.text_content()
    assert '"hidden units" must be an integer' in text and '"points" must be between' in text
    assert "samples" not in text and "error" in message.get_attribute("class")
    assert page.get_by_test_id("dataset").input_value() == "xor"
    assert page.get_by_test_id("lr").input_value() == "0.07"


def test_messages_name_the_controls_as_the_page_does(page: Any) -> None:
    page.open("#dataset=circle")
    page.locator('[name="test_fraction"]').fill("0.95")
    page.locator('[name="test_fraction"]').press("Enter")
    wait_for(page, "message", "v => v.includes('must be')")
    text = page.get_by_test_id("message").text_content()
    assert text.startswith('"test share" must be between 0 and 0.9') and "test_fraction" not in text


def test_the_schedules_show_their_settings_and_start_from_the_rate_when_chosen(page: Any) -> None:
    page.open("#dataset=gaussians&speed=20&lr=0.05")
    step_size = page.locator('[name="step_size"]')
    assert step_size.is_hidden() and page.locator('[name="patience"]').is_hidden()
    page.get_by_test_id("play").click()
    iteration_reaches(page, 400)
    page.locator('[name="schedule"]').select_option("step")
    step_size.wait_for(state="visible")
    assert step_size.is_visible() and page.locator('[name="gamma"]').is_visible()
    wait_for(page, "lr-now", "v => v === '0.05'")  # the base rate at once, not 0.05 * 0.5^k
    step_size.fill("50")
    step_size.press("Enter")
    wait_for(page, "lr-now", "v => Number(v) < 0.05 && Number(v) >= 0.0125")  # it decays, slowly
    page.locator('[name="schedule"]').select_option("plateau")
    page.locator('[name="patience"]').wait_for(state="visible")
    assert step_size.is_hidden()
    assert page.locator('[name="floor"]').is_visible()
    page.get_by_test_id("pause").click()


def test_log_axis_labels_small_losses_as_powers_of_ten(page: Any) -> None:
    page.open("#dataset=xor")
    labels = page.evaluate(
        "async () => { const c = await import('/static/chart.js');"
        " return [1e-4, 1e-7, 0.002, 0.5, 30, 2e6].map(c.tickLabel); }"
    )
    assert labels == ["1e-4", "1e-7", "0.002", "0.5", "30", "2e6"]


def test_gradient_tooltips_name_the_gradient(page: Any) -> None:
    page.open("#dataset=xor")
    canvas = page.locator('#grads [data-key="G_w1"] canvas')
    canvas.hover(position={"x": 3, "y": 3})
    assert page.locator("#tooltip").text_content().startswith("G_w1[x1, h1] = ")


def test_a_phone_gets_a_square_plane(browser: Any, server: Served, request: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    tab = context.new_page()
    open_page(tab, server.url + "#dataset=circle")
    box = tab.get_by_test_id("boundary").bounding_box()
    assert box["width"] >= 330 and abs(box["width"] - box["height"]) < 0.05 * box["width"]
    tab.get_by_test_id("boundary").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    wait_for(tab, "message", "v => v.startsWith('211 training')")  # clicks land where they should
    x = state(tab, "s.data.train.x[s.data.train.x.length - 1]")
    assert abs(x[0]) < 0.1 and abs(x[1]) < 0.1  # the middle of the plane is near (0, 0)
    save(request, tab, "playground-phone.png")
    context.close()


def test_the_keyboard_keeps_its_place_through_play_and_pause(page: Any) -> None:
    page.open("#dataset=xor")
    page.get_by_test_id("play").focus()
    page.keyboard.press("Enter")
    page.get_by_test_id("pause").wait_for(state="visible")
    assert page.evaluate("() => document.activeElement.dataset.testid") == "pause"
    page.keyboard.press("Enter")
    page.get_by_test_id("play").wait_for(state="visible")
    assert page.evaluate("() => document.activeElement.dataset.testid") == "play"


def test_a_diverging_loss_is_on_the_curve_and_in_short_numbers(page: Any) -> None:
    page.open("#dataset=plane&optimizer=gd&lr=0.5&loss=sse")
    page.get_by_test_id("play").click()
    wait_for(page, "message", "v => v.includes('diverged')")
    wait_for(page, "train-loss", "v => v.includes('e')")  # drawn at the next animation frame
    loss = page.get_by_test_id("train-loss").text_content()
    assert "e" in loss and len(loss) <= 10  # 1.7535e24, not 1753491543062818700000000
    last = float(page.get_by_test_id("loss-chart").get_attribute("data-last"))
    assert last == pytest.approx(state(page, "s.frame.diverged[1]"), rel=1e-12)
    assert last > 1e20  # the curve reaches the loss that stopped the run


def test_on_two_classes_the_points_stand_out_of_a_saturated_plane(page: Any) -> None:
    page.open("#dataset=circle&speed=50&lr=0.1&seed=3")
    train_to(page, 600)
    page.wait_for_timeout(200)
    positions = point_positions(page)[:60]
    centres = pixels(page, [p[:2] for p in positions])
    around = pixels(page, [[p[0] + 9, p[1]] for p in positions])
    apart = [distance(a, b) for a, b in zip(centres, around, strict=True)]
    assert sum(d > 60 for d in apart) >= 0.8 * len(apart), apart


def test_the_units_share_one_scale_and_a_colour_bar(page: Any) -> None:
    page.open("#dataset=xor&hidden=5")
    legend = page.get_by_test_id("units-legend")
    assert legend.locator(".colourbar").count() == 1
    low, _, high = (float(t) for t in legend.locator(".colourbar-labels span").all_text_contents())
    assert low == -high and high > 0
    scale = page.evaluate(
        "async () => { const v = await import('/static/views.js');"
        " return v.maxAbs(v.unpack(window.twolayerPlayground.frame.plane.units).values); }"
    )
    assert high == pytest.approx(scale, rel=5e-3)


def test_the_derivations_are_rendered_and_name_the_loss_in_use(page: Any) -> None:
    page.open("#dataset=circle")
    page.locator("#plane-view summary").click()
    page.locator("#plane-view a.doc").click()
    dialog = page.get_by_test_id("doc-dialog")
    dialog.wait_for(state="visible")
    assert dialog.locator("table").count() >= 1 and dialog.locator("h3").count() == 1
    assert "| quantity |" not in dialog.text_content()  # no raw Markdown
    note = page.locator("#doc-note").text_content()
    assert "cross_entropy" in note and "(softmax(y_pred) - y) / N" in note


def test_the_history_holds_test_scores_and_twolayer_plot_draws_the_test_curve(
    page: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page.open("#dataset=xor&speed=20")
    train_to(page, 100)
    with page.expect_download() as download:
        page.get_by_test_id("download-history").click()
    history = tmp_path / "history.csv"
    download.value.save_as(history)
    header = history.read_text().splitlines()[0].split(",")
    assert {"test_loss", "test_score", "score"} <= set(header)
    pytest.importorskip("matplotlib")
    code, _, err = run_cli(["plot", str(history), "--out", str(tmp_path / "h.png")], capsys)
    assert (code, err) == (0, "") and (tmp_path / "h.png").stat().st_size > 1000


def test_the_page_reconnects_after_the_server_restarts(browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 980})
    first = context.new_page()
    with playground_server() as old:
        open_page(first, old.url + "#dataset=xor&hidden=3")
        port = old.port
    wait_for(first, "message", "v => v.includes('lost') || v.includes('restarted')")
    assert first.get_by_test_id("step").is_disabled() and first.get_by_test_id("lr").is_disabled()
    with playground_server("--port", str(port)) as new:
        assert new.token != old.token
        wait_for(first, "message", "v => v.includes('new token')")
        second = context.new_page()  # this browser gets the new token: the first page goes on
        open_page(second, new.url)
        first.wait_for_function("() => !document.querySelector('[data-testid=step]').disabled")
        first.get_by_test_id("step").click()
        wait_for(first, "iteration", "v => v === '1'")
        assert first.get_by_test_id("hidden").input_value() == "3"  # its own settings
    context.close()


# --- what TensorFlow Playground has ---------------------------------------------------------------


def test_features_are_toggles_that_rebuild_the_network(page: Any) -> None:
    page.open("#dataset=circle")
    page.get_by_test_id("feature-x1sq").check()
    wait_for(page, "message", "v => v.includes('rebuilt')")
    page.get_by_test_id("feature-x2sq").check()
    page.wait_for_function("() => window.twolayerPlayground.data.d_in === 4")
    assert state(page, "s.data.features") == ["x1", "x2", "x1^2", "x2^2"]
    assert "features=x1%2Cx2%2Cx1sq%2Cx2sq" in page.url
    page.get_by_test_id("feature-x1").uncheck()
    page.get_by_test_id("feature-x2").uncheck()
    page.wait_for_function("() => window.twolayerPlayground.data.d_in === 2")
    train_to(page, 150)  # a circle from the squares alone: x1² + x2² < r²
    assert float(page.get_by_test_id("train-score").text_content()) > 0.95


def test_discretize_and_hide_the_test_points(page: Any) -> None:
    page.open("#dataset=circle&speed=20")
    train_to(page, 200)
    count = "() => new Set(Array.from(document.querySelector('[data-testid=boundary]').getContext('2d').getImageData(80, 80, 500, 500).data).map((v, i, a) => i % 4 ? null : a.slice(i, i + 3).join())).size"
    smooth = page.evaluate(count)
    page.get_by_test_id("discrete").check()
    page.wait_for_function("() => location.hash.includes('discrete=1')")
    page.wait_for_timeout(100)
    assert page.evaluate(count) < smooth / 2  # two flat colours and the points
    tests = [p[:2] for p in point_positions(page, "test")][:30]
    shown = pixels(page, tests)
    page.get_by_test_id("show-test").uncheck()
    page.wait_for_function("() => location.hash.includes('show_test=0')")
    page.wait_for_timeout(100)
    hidden = pixels(page, tests)
    assert sum(distance(a, b) > 30 for a, b in zip(shown, hidden, strict=True)) >= 0.8 * len(tests)


def test_regenerate_draws_new_points(page: Any) -> None:
    page.open("#dataset=spiral&seed=4")
    before = state(page, "s.data.train.x[0]")
    page.get_by_test_id("regenerate").click()
    wait_for(page, "message", "v => v.startsWith('new data')")
    assert "seed=5" in page.url and state(page, "s.data.train.x[0]") != before


def test_a_classroom_link_hides_the_controls_it_names(page: Any, browser: Any) -> None:
    page.open("#dataset=xor&lr=0.02")
    page.get_by_test_id("classroom").locator("summary").click()
    page.get_by_test_id("hide-lr").check()
    page.get_by_test_id("hide-play").check()
    page.get_by_test_id("hide-downloads").check()
    link = page.get_by_test_id("classroom-link").input_value()
    assert "hide=lr%2Cplay%2Cdownloads" in link and "lr=0.02" in link
    tab = page.context.new_page()
    open_page(tab, link)
    for hidden in ("lr", "play", "step", "download-model"):
        assert tab.get_by_test_id(hidden).is_hidden(), hidden
    for shown in ("optimizer", "reset", "hidden"):
        assert tab.get_by_test_id(shown).is_visible(), shown
    tab.close()


def test_a_weight_is_set_by_clicking_its_line(page: Any) -> None:
    page.open("#dataset=xor&hidden=3")
    target = page.evaluate(
        "() => window.twolayerPlayground.networkTargets.find((t) => t.param && t.param.name === 'w1' && t.param.index.join() === '1,2')"
    )
    x1, y1, x2, y2 = target["segment"]
    page.locator("#network").click(position={"x": (x1 + x2) / 2, "y": (y1 + y2) / 2})
    editor = page.get_by_test_id("weight-editor")
    editor.wait_for(state="visible")
    assert editor.text_content().strip().startswith("w1[x2 → h3]")
    page.get_by_test_id("weight-value").fill("2.5")
    page.get_by_test_id("weight-value").press("Enter")
    page.wait_for_function(
        "async () => { const v = await import('/static/views.js');"
        " return v.unpack(window.twolayerPlayground.frame.weights.w1).values[1 * 3 + 2] === 2.5; }"
    )
    assert editor.is_hidden()


def test_hovering_a_unit_shows_its_map_on_the_plane(page: Any) -> None:
    page.open("#dataset=gaussians&hidden=4")
    page.locator("#units .unit").nth(2).hover()
    page.wait_for_function(
        "() => document.querySelector('#plane-title').textContent.includes('h3')"
    )
    assert "h3" in page.get_by_test_id("plane-legend").text_content()
    page.mouse.move(0, 0)
    page.wait_for_function(
        "() => document.querySelector('#plane-title').textContent === 'decision boundary'"
    )


def test_the_plane_has_axes_and_a_legend(page: Any) -> None:
    page.open("#dataset=gaussians&classes=4")
    assert page.get_by_test_id("plane-legend").locator(".swatch").all_text_contents() == [
        "0",
        "1",
        "2",
        "3",
    ]
    ticks = page.evaluate("async () => (await import('/static/plane.js')).ticks(-1.2, 1.2)")
    assert ticks == [-1, -0.5, 0, 0.5, 1]
    page.open("#dataset=xor")
    page.wait_for_function("() => window.twolayerPlayground.data.settings.dataset === 'xor'")
    page.wait_for_timeout(100)
    legend = page.get_by_test_id("plane-legend").text_content()
    assert "P(1)" in legend and "0 (0)" in legend and "1 (1)" in legend
    page.open("#dataset=bumps")
    page.wait_for_function("() => window.twolayerPlayground.data.settings.dataset === 'bumps'")
    page.wait_for_timeout(100)
    assert "the fitted value" in page.get_by_test_id("plane-legend").text_content()


# --- views of its own -------------------------------------------------------------------------------


def test_follow_one_sample_through_the_network(page: Any, request: Any) -> None:
    page.open("#dataset=circle&hidden=5&speed=10&seed=2")
    train_to(page, 100)
    page.get_by_test_id("click-follow").check()
    target = point_positions(page)[4]
    page.get_by_test_id("boundary").click(position={"x": target[0], "y": target[1]})
    view = page.get_by_test_id("trace-view")
    view.wait_for(state="visible")
    assert "training point 5" in view.locator("#trace-title").text_content()
    graph = page.get_by_test_id("trace-graph")
    assert graph.locator(".column").count() == 5 and graph.locator(".node").count() >= 5 + 5 + 2
    trace = state(page, "s.frame.trace")
    first_h = graph.locator(".column").nth(1).locator(".value").first
    assert float(first_h.get_attribute("title")) == trace["h"][0]
    first_h.hover()
    assert page.locator('#trace-math li[data-line="h"]').get_attribute("class") == "lit"
    page.locator('#trace-math li[data-line="Gh"]').hover()
    lit = graph.locator(".grad.lit")
    assert lit.count() == 5  # every unit's G_h
    before = trace["loss"]
    page.get_by_test_id("step").click()
    page.wait_for_function(f"() => window.twolayerPlayground.frame.trace.loss !== {before!r}")
    save(
        request,
        page,
        "playground-follow.png",
        full_page=False,
        clip={"x": 0, "y": 0, "width": 1360, "height": 980},
    )
    page.get_by_test_id("trace-close").click()
    view.wait_for(state="hidden")


@pytest.mark.parametrize("name", ["overfitting", "dead-relus", "optimizers"])
def test_a_lesson_link_sets_the_run_and_asks_its_question(
    page: Any, name: str, request: Any
) -> None:
    from twolayer.playground.app import STATIC
    from twolayer.playground.settings import Settings

    lesson = json.loads((Path(STATIC) / "lessons.json").read_text())[name]
    page.open(f"#lesson={name}")
    panel = page.get_by_test_id("lesson-panel")
    assert panel.is_visible() and lesson["question"] in panel.text_content()
    assert Settings.from_text(state(page, "s.settings")) == Settings.from_text(lesson["settings"])
    if name == "overfitting":  # what it asks to watch: the test loss stays up
        train_to(page, 1500)
        assert number(page, "test-loss") > 5 * number(page, "train-loss")
        save(
            request,
            page,
            "playground-lesson.png",
            clip={"x": 0, "y": 0, "width": 1360, "height": 760},
        )
    page.get_by_test_id("lesson-step-1").click()
    want = Settings.from_text(
        lesson["steps"][0]["settings"], Settings.from_text(lesson["settings"])
    )
    page.wait_for_function(
        f"() => window.twolayerPlayground.settings.hidden === {str(want.hidden)!r}"
        f" && Number(window.twolayerPlayground.settings.alpha) === {want.alpha}"
        f" && Number(window.twolayerPlayground.settings.lr) === {want.lr}"
        f" && window.twolayerPlayground.settings.optimizer === {want.optimizer!r}"
    )
    page.reload()  # the run's settings are in the hash now: the lesson does not undo them
    wait_for(page, "train-loss", "v => v !== '–'")
    assert Settings.from_text(state(page, "s.settings")) == want


def test_an_l1_penalty_beside_l2_adds_to_the_training_loss_mid_run(page: Any) -> None:
    page.open("#dataset=circle&speed=20&l1=0")
    l1 = page.get_by_test_id("l1")
    assert float(l1.input_value()) == 0
    train_to(page, 150)
    plain = number(page, "train-loss")
    l1.fill("2")
    l1.press("Enter")
    page.get_by_test_id("step").click()  # on from the same weights
    wait_for(page, "train-loss", f"v => Number(v) > 5 * {plain}")  # l1 (|w1| + |w2|) / n joins it
    assert "l1=2" in page.evaluate("() => location.hash")


def test_the_doctor_button_shows_what_the_training_doctor_sees(page: Any) -> None:
    page.open("#dataset=circle&speed=20&optimizer=gd&lr=0.0000001")
    page.get_by_test_id("doctor").click()
    findings = page.get_by_test_id("doctor-findings")
    wait_for(page, "doctor-findings", "v => v.includes('nothing trained yet')")
    train_to(page, 60)
    page.get_by_test_id("doctor").click()
    wait_for(page, "doctor-findings", "v => v.includes('update-to-weight ratio')")
    assert "raise --lr" in findings.text_content() and findings.is_visible()
