"""``RunDetails``: the text view outside a notebook, and the ipywidgets view refreshing
until the run ends (the widget model is built without a notebook)."""

from __future__ import annotations

import io

import pytest

from helpers import eventually
from runlab.tracking import Experiment, Run, Workspace
from runlab.widgets import RunDetails, in_notebook, refresh_interval


@pytest.fixture
def run(workspace: Workspace) -> Run:
    run = Experiment(workspace, "train").start_logging()
    run.add_properties({"param.lr": "0.001"})
    run.tag("team", "vision")
    run.log("loss", 0.9)
    run.log("loss", 0.6)
    run.log("phase", "warmup")
    run.upload_file("logs/driver.log", io.BytesIO(b"".join(b"line %d\n" % n for n in range(30))))
    return run


def test_refreshes_every_5_s_easing_to_60_s_over_an_hour() -> None:
    assert refresh_interval(0) == 5
    assert refresh_interval(1800) == pytest.approx(32.5)
    assert refresh_interval(3600) == 60
    assert refresh_interval(10 * 3600) == 60


def test_outside_a_notebook_show_prints_a_text_view(
    run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    child = run.child_run("fold-1")
    child.complete()
    assert not in_notebook()

    RunDetails(run).show()

    printed = capsys.readouterr().out
    assert f"({run.id})" in printed and "Status: Running" in printed
    assert "loss   0.6  (2 points)" in printed and "phase  'warmup'" in printed
    assert f"fold-1 ({child.id}): Completed" in printed
    assert "line 29" in printed and "line 9\n" not in printed  # only the tail
    run.complete()


def test_the_widget_model_updates_after_a_new_point(run: Run) -> None:
    pytest.importorskip("ipywidgets", reason="the widget needs ipywidgets")
    pytest.importorskip("anywidget", reason="plotly's FigureWidget needs anywidget")
    details = RunDetails(run)
    view = details.widget
    details.refresh()
    header, info, metrics, charts, picker, log, _children = view.children
    assert "Running" in header.value
    assert "<td>lr</td><td>0.001</td>" in info.value and "<td>team</td>" in info.value
    assert picker.options == ("logs/driver.log",) and picker.layout.display == ""
    assert "<td>loss</td><td>0.6</td><td>2</td>" in metrics.value
    (figure,) = charts.children
    (trace,) = figure.data  # loss; the text metric has no chart
    assert list(trace.x) == [0, 1] and list(trace.y) == [0.9, 0.6]
    assert figure.layout.xaxis.title.text == "step" and trace.name == "loss"
    assert [title.text for title in figure.layout.annotations] == ["loss"]
    assert "%{y:.6g}" in trace.hovertemplate and figure.layout.yaxis.tickformat == ".4~g"
    assert log.value.endswith("line 29")

    run.log("loss", 0.3)
    snapshot = details.refresh()
    assert snapshot.metrics["loss"] == ([0, 1, 2], [0.9, 0.6, 0.3])
    assert "<td>loss</td><td>0.3</td><td>3</td>" in metrics.value
    assert charts.children == (figure,)  # the same figure, its trace updated in place
    assert list(trace.x) == [0, 1, 2] and list(trace.y) == [0.9, 0.6, 0.3]
    run.log("accuracy", 0.5)
    details.refresh()
    (grown,) = charts.children  # a new metric: one figure with a chart of each
    assert [title.text for title in grown.layout.annotations] == ["accuracy", "loss"]
    assert [list(chart.y) for chart in grown.data] == [[0.5], [0.9, 0.6, 0.3]]
    assert grown.layout.xaxis2.title.text == "step"
    run.complete()
    details.refresh()
    assert "Completed" in header.value


def test_it_stops_refreshing_when_the_run_ends(run: Run) -> None:
    pytest.importorskip("ipywidgets", reason="the widget needs ipywidgets")
    details = RunDetails(run, interval=lambda _elapsed: 0.05)
    details.widget  # noqa: B018 - build the view, as show() does
    details.start()
    try:
        run.log("loss", 0.1)
        eventually(
            lambda: details.snapshot and details.snapshot.last_values,
            until=lambda last_values: bool(last_values) and last_values.get("loss") == 0.1,
            interval=0.02,
            message="the widget to pick up the new point",
        )
        assert details.refreshing
        run.complete()
        eventually(
            lambda: not details.refreshing,
            interval=0.02,
            message="the widget to stop refreshing the ended run",
        )
        assert details.snapshot is not None and details.snapshot.status == "Completed"
        assert details.snapshot.terminal
    finally:
        details.stop()


def test_each_refresh_reads_only_what_the_log_gained(run: Run, workspace: Workspace) -> None:
    key = f"runs/{run.id}/logs/driver.log"
    details = RunDetails(run)
    first = details.refresh()
    assert first.log_tail.splitlines() == [f"line {n}" for n in range(10, 30)]
    assert first.log_offset == workspace.artifacts.size(key)

    grown = workspace.artifacts.get_bytes(key) + b"".join(b"line %d\n" % n for n in range(30, 35))
    workspace.artifacts.put_bytes(key, grown + b"half a li")
    second = details.refresh()
    assert second.log_tail.splitlines() == [f"line {n}" for n in range(15, 35)]
    assert second.log_offset == len(grown)  # the unfinished line waits for its end
    run.complete()
    assert details.refresh().log_tail.splitlines()[-2:] == ["line 34", "half a li"]


def test_values_show_to_a_sensible_precision_and_charts_have_axes_and_hover(
    run: Run,
) -> None:
    run.log("loss", 0.123456789)
    details = RunDetails(run, server_url="http://ui.example:8765/")
    html = details.static_html()
    assert "<td>loss</td><td>0.123457</td><td>3</td>" in html
    assert "<title>loss step 2: 0.123457</title>" in html  # hover on each point
    assert ">step</text>" in html and ">0.9</text>" in html  # the axes' labels
    assert f'href="http://ui.example:8765/ui/runs/{run.id}"' in html
    assert "line 29" in html and "<b>Parameters</b>" in html
    run.complete()


def test_the_log_picker_is_hidden_without_logs_and_shows_the_log_picked(
    workspace: Workspace,
) -> None:
    pytest.importorskip("ipywidgets", reason="the widget needs ipywidgets")
    bare = Experiment(workspace, "bare").start_logging()
    details = RunDetails(bare)
    view = details.widget
    details.refresh()
    assert view.children[4].layout.display == "none" and view.children[5].layout.display == "none"
    bare.upload_file("logs/driver.log", io.BytesIO(b"driver says hi\n"))
    bare.upload_file("logs/environment.log", io.BytesIO(b"pip installed numpy\n"))
    details.refresh()
    picker, log = view.children[4], view.children[5]
    assert picker.options == ("logs/driver.log", "logs/environment.log")
    assert log.value == "driver says hi"
    picker.value = "logs/environment.log"
    assert log.value == "pip installed numpy"
    bare.complete()
