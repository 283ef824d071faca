"""The real MLflow client (pinned, in its own environment) logging to a live runlab server;
each scenario then checks what runlab's own API holds."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from mlflow_env import MlflowServer, run_client

from runlab import Experiment, Model, Run, Workspace
from runlab.entities import Metric, RunStatus
from runlab.store import LoggedModelStore

pytestmark = pytest.mark.slow


def test_tracking_basics(
    mlflow_client_python: Path, mlflow_server: MlflowServer, served: Workspace, tmp_path: Path
) -> None:
    result = run_client(
        mlflow_client_python,
        mlflow_server.url,
        """
        import json, os, tempfile
        import matplotlib.pyplot as plt
        import mlflow

        mlflow.set_experiment("basics")
        with mlflow.start_run(run_name="parent") as run:
            mlflow.log_param("lr", 0.1)
            mlflow.log_params({"optimizer": "adam", "layers": 3})
            mlflow.log_metric("loss", 1.5, step=0)
            mlflow.log_metrics({"loss": 0.5, "odd": float("nan")}, step=1)
            mlflow.set_tag("team", "vision")
            folder = tempfile.mkdtemp()
            os.makedirs(f"{folder}/sub")
            open(f"{folder}/a.txt", "w").write("A")
            open(f"{folder}/sub/b.txt", "w").write("B")
            mlflow.log_artifacts(folder, "folder")
            mlflow.log_artifact(f"{folder}/a.txt")
            mlflow.log_dict({"x": 1}, "config/settings.json")
            figure, axes = plt.subplots()
            axes.plot([1, 2, 3])
            mlflow.log_figure(figure, "plots/curve.png")
            with mlflow.start_run(run_name="child", nested=True) as child:
                mlflow.log_metric("child_metric", 1.0)
        with mlflow.start_run(run_id=run.info.run_id):
            mlflow.log_metric("after_resume", 2.0)
        seen = mlflow.MlflowClient().get_run(run.info.run_id)
        print("RESULT", json.dumps({
            "run_id": run.info.run_id,
            "child_id": child.info.run_id,
            "status": seen.info.status,
            "params": seen.data.params,
            "odd": str(seen.data.metrics["odd"]),
        }))
        """,
    )
    assert result["status"] == "FINISHED"
    assert result["params"] == {"lr": "0.1", "optimizer": "adam", "layers": "3"}
    assert result["odd"] == "nan"
    experiment = Experiment(served, "basics")
    run = Run(experiment, result["run_id"])
    assert run.get_status() == RunStatus.COMPLETED.value
    assert run.display_name == "parent"
    assert run.get_parameters() == {"lr": "0.1", "optimizer": "adam", "layers": "3"}
    assert run.get_tags()["team"] == "vision"
    histories = served.store.get_metric_histories(run.id)
    assert histories["loss"].steps == [0, 1] and histories["loss"].values == [1.5, 0.5]
    assert math.isnan(histories["odd"].values[0])
    assert histories["after_resume"].values == [2.0]
    assert {
        "a.txt",
        "folder/a.txt",
        "folder/sub/b.txt",
        "config/settings.json",
        "plots/curve.png",
    } <= set(run.get_file_names())
    child = served.store.get_run(result["child_id"])
    assert child.parent_run_id == run.id and child.display_name == "child"
    assert [c.id for c in run.get_children()] == [result["child_id"]]


def test_autolog_pyfunc_and_the_registry(
    mlflow_client_python: Path, mlflow_server: MlflowServer, served: Workspace
) -> None:
    result = run_client(
        mlflow_client_python,
        mlflow_server.url,
        """
        import json
        import mlflow, numpy as np
        from sklearn.datasets import load_digits
        from sklearn.linear_model import LogisticRegression

        mlflow.set_experiment("digits")
        mlflow.sklearn.autolog()
        X, y = load_digits(return_X_y=True)
        with mlflow.start_run() as fit_run:
            LogisticRegression(max_iter=300).fit(X, y)
        mlflow.sklearn.autolog(disable=True)

        class Doubler(mlflow.pyfunc.PythonModel):
            def predict(self, context, model_input):
                return model_input * 2

        with mlflow.start_run() as model_run:
            info = mlflow.pyfunc.log_model(name="doubler", python_model=Doubler())
        loaded = mlflow.pyfunc.load_model(info.model_uri)
        version = mlflow.register_model(info.model_uri, "doubler")
        client = mlflow.MlflowClient()
        client.set_registered_model_alias("doubler", "champion", version.version)
        by_alias = mlflow.pyfunc.load_model("models:/doubler@champion")
        versions = client.search_model_versions("name='doubler'")
        print("RESULT", json.dumps({
            "fit_run": fit_run.info.run_id,
            "model_run": model_run.info.run_id,
            "model_id": info.model_id,
            "predicted": loaded.predict(np.array([1.0, 2.0])).tolist(),
            "by_alias": by_alias.predict(np.array([3.0])).tolist(),
            "version": version.version,
            "status": version.status,
            "versions": [(v.version, list(v.aliases)) for v in versions],
        }))
        """,
    )
    fit = served.store.get_run(result["fit_run"])
    params = {key for key in fit.properties if key.startswith("param.")}
    assert {"param.C", "param.max_iter", "param.solver"} <= params
    metrics = served.store.get_metric_histories(fit.run_id)
    assert metrics["training_accuracy_score"].values[-1] > 0.9
    assert isinstance(served.store, LoggedModelStore)
    (logged,) = served.store.search_logged_models(source_run_id=fit.run_id)
    assert logged.status == "READY"
    files = served.artifacts.list_files(f"logged_models/{logged.model_id}")
    assert any(name.endswith("/MLmodel") for name in files)
    assert any(name.endswith("/model.pkl") for name in files)

    assert result["predicted"] == [2.0, 4.0] and result["by_alias"] == [6.0]
    assert result["status"] == "READY"
    assert result["versions"] == [["1", ["champion"]]]
    model = Model(served, "doubler@champion")
    assert model.version == 1 and model.run_id == result["model_run"]
    assert "model/MLmodel" in model.file_names
    assert len(model.content_hash) == 64
    assert model.properties["mlflow.model_id"] == result["model_id"]


def test_search_runs_across_both_apis_and_long_histories(
    mlflow_client_python: Path, mlflow_server: MlflowServer, served: Workspace
) -> None:
    experiment = Experiment(served, "mixed")
    native = experiment.start_logging(display_name="native")
    native.log("accuracy", 0.95)
    native.tag("source", "runlab")
    native.complete()
    served.store.add_properties(native.id, {"param.lr": "0.3"})
    long_run = experiment.start_logging(display_name="long")
    served.store.log_metrics(
        long_run.id,
        [Metric("curve", step / 1000, step, 1_700_000_000.0) for step in range(100_000)],
    )
    long_run.complete()
    result = run_client(
        mlflow_client_python,
        mlflow_server.url,
        f"""
        import json, mlflow
        experiment = mlflow.set_experiment("mixed")
        for lr, accuracy in (("0.1", 0.80), ("0.2", 0.90)):
            with mlflow.start_run(run_name=f"mlflow-{{lr}}"):
                mlflow.log_param("lr", lr)
                mlflow.log_metric("accuracy", accuracy)
                mlflow.set_tag("source", "mlflow")
        client = mlflow.MlflowClient()
        ids = [experiment.experiment_id]
        order = ["metrics.accuracy DESC"]
        best = client.search_runs(ids, "metrics.accuracy > 0.85", order_by=order)
        by_tag = client.search_runs(ids, "tags.source = 'runlab'")
        by_param = client.search_runs(ids, "params.lr != '0.1'", order_by=["params.lr ASC"])
        paged = client.search_runs(ids, "", max_results=2)
        second = client.search_runs(ids, "", max_results=2, page_token=paged.token)
        history = client.get_metric_history("{long_run.id}", "curve")
        print("RESULT", json.dumps({{
            "best": [r.info.run_name for r in best],
            "by_tag": [r.info.run_id for r in by_tag],
            "by_param": [r.info.run_name for r in by_param],
            "pages": [len(paged), len(second)],
            "history": len(history),
            "steps_ordered": [m.step for m in history] == list(range(100000)),
            "last": history[-1].value,
        }}))
        """,
    )
    assert result["best"] == ["native", "mlflow-0.2"]
    assert result["by_tag"] == [native.id]
    assert result["by_param"] == ["mlflow-0.2", "native"]
    assert result["pages"] == [2, 2]
    assert result["history"] == 100_000 and result["steps_ordered"]
    assert result["last"] == pytest.approx(99.999)
    # And the other way round: runlab's own filter sees the runs MLflow logged.
    found = experiment.get_runs(filter="params.lr = '0.1'")
    assert [run.display_name for run in found] == ["mlflow-0.1"]
    ranked = experiment.get_runs(filter="metrics.accuracy > 0", order_by="metrics.accuracy ASC")
    assert [run.display_name for run in ranked] == ["mlflow-0.1", "mlflow-0.2", "native"]


def test_rename_tag_delete_and_restore_keep_runlab_data(
    mlflow_client_python: Path, mlflow_server: MlflowServer, served: Workspace
) -> None:
    result = run_client(
        mlflow_client_python,
        mlflow_server.url,
        """
        import json, mlflow
        from mlflow.entities import ViewType
        client = mlflow.MlflowClient()
        experiment_id = client.create_experiment("lifecycle", tags={"team": "vision"})
        client.rename_experiment(experiment_id, "lifecycle-renamed")
        client.set_experiment_tag(experiment_id, "stage", "dev")
        kept = client.create_run(experiment_id, run_name="kept")
        gone = client.create_run(experiment_id, run_name="gone")
        client.log_metric(gone.info.run_id, "loss", 0.5, timestamp=1700000001234, step=3)
        client.delete_run(gone.info.run_id)
        active = client.search_runs([experiment_id])
        deleted = client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
        stage = client.get_run(gone.info.run_id).info.lifecycle_stage
        client.restore_run(gone.info.run_id)
        restored = client.search_runs([experiment_id])
        latest = client.get_run(gone.info.run_id).data._metric_objs[0]
        client.delete_experiment(experiment_id)
        hidden = [e.name for e in client.search_experiments()]
        shown = [e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)]
        experiment = client.get_experiment(experiment_id)
        print("RESULT", json.dumps({
            "gone": gone.info.run_id,
            "active": [r.info.run_name for r in active],
            "deleted": [r.info.run_name for r in deleted],
            "stage": stage,
            "restored": sorted(r.info.run_name for r in restored),
            "latest": [latest.timestamp, latest.step],
            "hidden": hidden,
            "shown": shown,
            "experiment": [experiment.name, experiment.lifecycle_stage, experiment.tags],
        }))
        """,
    )
    assert result["active"] == ["kept"] and result["deleted"] == ["gone"]
    assert result["stage"] == "deleted"
    assert result["restored"] == ["gone", "kept"]
    assert result["latest"] == [1_700_000_001_234, 3]
    assert "lifecycle-renamed" not in result["hidden"]
    assert result["shown"] == ["lifecycle-renamed"]
    assert result["experiment"] == [
        "lifecycle-renamed",
        "deleted",
        {"team": "vision", "stage": "dev"},
    ]
    # runlab kept everything: the experiment, under its new name, with its runs and metrics.
    record = served.store.get_experiment("lifecycle-renamed")
    assert record.deleted_time is not None and record.tags == {"team": "vision", "stage": "dev"}
    runs = served.store.search_runs(experiment_name="lifecycle-renamed")
    assert sorted(run.display_name for run in runs) == ["gone", "kept"]
    assert served.store.get_metric_histories(result["gone"])["loss"].values == [0.5]


def test_tokens_scopes_reach_the_client(
    mlflow_client_python: Path, mlflow_server: MlflowServer, served: Workspace
) -> None:
    from runlab.server.auth import Authenticator, TokenStore, tokens_file_of

    tokens = TokenStore(tokens_file_of(served.config_path))
    read_token, _ = tokens.create("read")
    write_token, _ = tokens.create("write")
    mlflow_server.app.state.authenticator = Authenticator(tokens)
    script = """
        import json, mlflow
        from mlflow.exceptions import MlflowException
        try:
            mlflow.MlflowClient().create_experiment("secured")
            outcome = "created"
        except MlflowException as error:
            outcome = error.error_code
        print("RESULT", json.dumps({"outcome": outcome}))
        """
    assert run_client(mlflow_client_python, mlflow_server.url, script) == {
        "outcome": "UNAUTHENTICATED"
    }
    read = run_client(mlflow_client_python, mlflow_server.url, script, token=read_token)
    assert read == {"outcome": "PERMISSION_DENIED"}
    assert served.store.list_experiments() == []
    written = run_client(mlflow_client_python, mlflow_server.url, script, token=write_token)
    assert written == {"outcome": "created"}
    assert served.store.get_experiment("secured").name == "secured"
