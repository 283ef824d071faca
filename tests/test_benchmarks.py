"""The benchmark scripts of issue 12 still run: each at a tiny size, checked for its figures.

Benchmarks are not tests (their times are never asserted), but a script that no longer runs
is a deliverable lost; these runs catch that, and check the figures that are exact (bytes).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script: str, *arguments: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_runs_page_benchmark_runs_and_checks_the_page(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="the runs page needs the server extra")
    output = _run(
        "runs_page.py", "--runs", "60", "--metrics", "3", "--steps", "20", "--repeat", "1",
        cwd=tmp_path,
    )  # fmt: skip
    assert "runs page, 3 metrics, sorted by one" in output
    assert "old way: sorted by a metric" in output


def test_logs_benchmark_writes_and_reads_a_log_once_after(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="the server case needs the server extra")
    output = _run(
        "logs.py", "--mb", "1", "--ticks", "5", "--stores", "local", "server",
        "--dir", str(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    rows = {
        tuple(line.split()[:2]): line.split()
        for line in output.splitlines()
        if line.split()[:1] in (["local"], ["server"])
    }
    for store in ("local", "server"):
        before, after = rows[(store, "before")], rows[(store, "after")]
        # "x log" of bytes written and read: the whole-file way re-sends the log each step.
        assert float(after[4]) == pytest.approx(1.0, abs=0.01), after
        assert float(after[6]) == pytest.approx(1.0, abs=0.01), after
        assert float(before[4]) > 2.0 and float(before[6]) > 2.0, before


def test_ui_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="the web UI needs the server extra")
    pytest.importorskip("jinja2", reason="the web UI needs jinja2")
    output = _run(
        "ui.py", "--steps", "500", "--metrics", "1", "2", "--runs", "30", "--repeat", "1",
        "--no-browser", cwd=tmp_path,
    )  # fmt: skip
    assert "run page, 2 metrics x 500 steps: server page" in output
    assert "runs page, 30 runs: server" in output


def test_datasets_benchmark_registers_and_reruns(tmp_path: Path) -> None:
    output = _run(
        "datasets.py", "--files", "30", "--big-mb", "2", "--submits", "1",
        "--dir", str(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    for row in ("register small, hashed", "register big, after upload", "rerun - submit"):
        assert row in output, output


def test_serving_benchmark_runs_the_service_and_the_bare_app(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="the bare app needs the server extra")
    output = _run(
        "serving.py", "--seconds", "0.4", "--rounds", "2", "--rows", "1", "--clients", "1",
        "--no-mlflow", cwd=tmp_path,
    )  # fmt: skip
    assert "runlab: answering" in output and "bare: answering" in output
    cell = next(line for line in output.splitlines() if line.split()[:2] == ["1", "1"])
    assert "runlab/bare" in cell and "!" not in cell, cell  # no failed request


def _mlflow_client_python() -> Path:
    """The MLflow client's cached environment of tests/mlflow (made on first use)."""
    import importlib.util

    module_path = Path(__file__).parent / "mlflow" / "mlflow_env.py"
    spec = importlib.util.spec_from_file_location("runlab_tests_mlflow_env", module_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        python: Path = module.mlflow_python()
    except RuntimeError as error:
        pytest.skip(f"cannot make the MLflow client's environment here: {error}")
    return python


@pytest.mark.slow
def test_mlflow_api_benchmark_runs_against_runlab_server(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="runlab server needs the server extra")
    pytest.importorskip("psutil", reason="the benchmark reads the server's memory with psutil")
    python = _mlflow_client_python()
    # The client environment has mlflow-skinny, which has no `mlflow server`: runlab's side only.
    output = _run(
        "mlflow_api.py", "--tiny", "--servers", "runlab", "--mlflow-python", str(python),
        cwd=tmp_path,
    )  # fmt: skip
    lines = {line.split()[0]: line for line in output.splitlines() if line.strip()}
    for workload in ("log_batch", "log_metric", "get_metric_history", "search_runs"):
        assert workload in lines, output
    assert "runlab" in lines["server"] and " MB" in lines["server"]


def test_sweep_benchmark_runs_every_case_it_can(tmp_path: Path) -> None:
    pytest.importorskip("sklearn", reason="the trials import scikit-learn")
    cases = ["optuna", "runlab-local"]
    try:
        import ray.tune  # noqa: F401

        cases.append("tune-reuse")
    except ImportError:
        pass
    output = _run(
        "sweep.py", "--trials", "3", "--work", "0.05", "--cases", *cases, cwd=tmp_path
    )  # fmt: skip
    rows = {line.split()[0]: line.split() for line in output.splitlines() if line.split()}
    for case in cases:
        assert case in rows, output
        assert rows[case][1] == "3", output  # every trial ran and was counted
        float(rows[case][3])  # an overhead figure, not an error
    assert "target <= 0.07 s" in " ".join(rows["runlab-local"])


def test_server_benchmark_runs_and_every_point_is_stored(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn", reason="the server benchmark needs the server extra")
    arguments = ["--clients", "3", "--seconds", "2", "--points", "500", "--mlflow-points", "20"]
    with_mlflow = (BENCHMARKS / ".venv-mlflow" / "bin" / "mlflow").exists()
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "server.py"), *arguments],
        cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    output = done.stdout
    assert done.returncode == 0, output + done.stderr
    if not with_mlflow:
        # Skipped, saying why: MLflow runs from its own environment, made by a script.
        assert "MLflow not measured" in output and "setup-mlflow-env.sh" in output, output
    rows = {line[:32].strip(): line[32:].split() for line in output.splitlines()}
    assert rows["(client check)"][:4] == ["500", "of", "500", "stored"], output
    assert rows["errors"][0] == "0", output
    acknowledged, _slash, stored = rows["points acknowledged / stored"][:3]
    assert acknowledged == stored and int(acknowledged.replace(",", "")) > 0, output
    if with_mlflow:
        # The second column is MLflow's: its points all stored too.
        assert rows["(client check)"][4:8] == ["20", "of", "20", "stored"], output
        assert rows["points acknowledged / stored"][3] == rows["points acknowledged / stored"][5]
