"""A run's conventions are typed once, in ``runlab.entities.run_layout``.

The guard reads every module of ``src/runlab`` (and the web UI's templates and scripts) and
fails on a string that retypes a log name, a property key, the ``param.`` prefix or a run's
file key anywhere else. Docstrings may name them: they are documentation, not code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import runlab
from runlab.entities import run_layout
from runlab.entities.run_layout import (
    COMPUTE_KEY,
    DRIVER_LOG,
    DRIVER_LOG_NAME,
    ENVIRONMENT_LOG,
    ENVIRONMENT_LOG_NAME,
    IMAGES_DIR,
    LOGS_DIR,
    OUTPUTS_DIR,
    PARAM_PREFIX,
    RAY_JOB_LOG_NAME,
    RUNS_DIR,
    log_file,
    param_key,
    param_name,
    run_file_key,
    run_prefix,
)

PACKAGE = Path(runlab.__file__).parent
LAYOUT_MODULE = Path(run_layout.__file__)
# The contract suites store files under made-up keys such as "runs/r1/a.txt": they test the
# artifact stores, not where a run keeps its files.
NOT_RUN_CODE = (PACKAGE / "testing",)
# Where a word that is also a folder name or a key means something else: the commands
# `runlab run logs` and `runlab service logs`, the images of an IDX data file, the module
# runlab.compute loaded lazily.
ALLOWED = {
    ("cli/jobs.py", LOGS_DIR),
    ("cli/service.py", LOGS_DIR),
    ("datasets/_idx.py", IMAGES_DIR),
    ("__init__.py", COMPUTE_KEY),
    ("server/mlflow/runs.py", OUTPUTS_DIR),  # MLflow's Run message has a field "outputs"
}

LOG_NAMES = (DRIVER_LOG_NAME, ENVIRONMENT_LOG_NAME, RAY_JOB_LOG_NAME)
PROPERTY_KEYS = tuple(value for name, value in vars(run_layout).items() if name.endswith("_KEY"))
FOLDERS = (LOGS_DIR, OUTPUTS_DIR, IMAGES_DIR)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string nodes that are docstrings (of the module, classes, functions)
    or the strings documenting a module-level constant."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for statement in body:
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                found.add(id(statement.value))
    return found


def _problem(text: str, *, leading: bool) -> str | None:
    """Why ``text`` (a string constant, or the literal start of an f-string when ``leading``)
    retypes a convention, or None."""
    for log_name in LOG_NAMES:
        if log_name in text:
            return f"names the log {log_name!r}"
    if text in PROPERTY_KEYS:
        return f"is the property key {text!r}"
    if text.startswith(PARAM_PREFIX):
        return f"makes a key with the prefix {PARAM_PREFIX!r}"
    for folder in FOLDERS:
        if text == folder or text.startswith(folder + "/"):
            return f"names the run's folder {folder!r}"
    if leading and text.startswith(RUNS_DIR + "/"):
        return "builds a run's file key by hand"
    return None


def _literal_problems(path: Path, package: Path = PACKAGE) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = _docstrings(tree)
    in_fstrings: set[int] = set()
    problems = []
    relative = path.relative_to(package).as_posix()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [part for part in node.values if isinstance(part, ast.Constant)]
            in_fstrings.update(id(part) for part in parts)
            for index, part in enumerate(node.values):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    why = _problem(part.value, leading=index == 0)
                    if why and (relative, part.value) not in ALLOWED:
                        problems.append(f"{relative}:{node.lineno}: an f-string {why}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and id(node) not in in_fstrings
        ):
            why = _problem(node.value, leading=False)
            if why and (relative, node.value) not in ALLOWED:
                problems.append(f"{relative}:{node.lineno}: a string {why}")
    return problems


def _python_modules() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if path != LAYOUT_MODULE and not any(path.is_relative_to(root) for root in NOT_RUN_CODE)
    )


def test_the_guard_reads_the_whole_package() -> None:
    modules = {path.relative_to(PACKAGE).as_posix() for path in _python_modules()}
    assert {"jobs/entry.py", "server/ui/pages.py", "tracking/run.py", "cli/run.py"} <= modules
    assert "entities/run_layout.py" not in modules


def test_no_module_retypes_a_run_convention() -> None:
    problems = [problem for path in _python_modules() for problem in _literal_problems(path)]
    assert not problems, "use runlab.entities.run_layout instead:\n" + "\n".join(problems)


def test_no_template_or_script_retypes_a_run_convention() -> None:
    needles = (*LOG_NAMES, *PROPERTY_KEYS, f'"{PARAM_PREFIX}', f"'{PARAM_PREFIX}")
    problems = [
        f"{path.relative_to(PACKAGE).as_posix()} holds {needle!r}"
        for path in sorted(PACKAGE.rglob("*"))
        if path.suffix in {".html", ".js", ".jinja"}
        for needle in needles
        if needle in path.read_text(encoding="utf-8")
    ]
    assert not problems, "pass the names from runlab.entities.run_layout:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('key = f"runs/{run_id}/{name}"', "builds a run's file key by hand"),
        ('log = "logs/driver.log"', "names the log 'driver.log'"),
        ('props = {"runlab.job_handle": handle}', "is the property key 'runlab.job_handle'"),
        ('key = f"param.{name}"', "makes a key with the prefix 'param.'"),
        ('folder = workdir / "outputs"', "names the run's folder 'outputs'"),
    ],
)
def test_the_guard_finds_a_retyped_convention(tmp_path: Path, source: str, expected: str) -> None:
    module = tmp_path / "sample.py"
    module.write_text(f'"""A docstring may say logs/driver.log."""\n{source}\n', encoding="utf-8")
    problems = _literal_problems(module, tmp_path)
    assert len(problems) == 1 and expected in problems[0], problems


def test_a_docstring_may_name_a_convention(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(
        '"""Tees into ``logs/driver.log``."""\n\n\ndef f() -> None:\n'
        '    """Reads ``runs/<id>/logs/environment.log`` and ``param.lr``."""\n',
        encoding="utf-8",
    )
    assert _literal_problems(module, tmp_path) == []


def test_the_names_and_keys() -> None:
    assert DRIVER_LOG == "logs/driver.log"
    assert ENVIRONMENT_LOG == "logs/environment.log"
    assert log_file("ray_job.log") == "logs/ray_job.log"
    assert run_prefix("exp_1_ab") == "runs/exp_1_ab/"
    assert run_file_key("exp_1_ab", DRIVER_LOG) == "runs/exp_1_ab/logs/driver.log"
    key = run_file_key("exp_1_ab", "outputs/model.pkl")
    assert key.startswith(run_prefix("exp_1_ab"))
    assert key[len(run_prefix("exp_1_ab")) :] == "outputs/model.pkl"
    assert param_key("lr") == "param.lr"
    assert param_name(param_key("lr")) == "lr"
    assert param_name("runlab.compute") is None
    assert set(PROPERTY_KEYS) >= {
        "runlab.snapshot_id",
        "runlab.job_handle",
        "runlab.compute",
        "runlab.inputs",
        "runlab.arguments",
    }
