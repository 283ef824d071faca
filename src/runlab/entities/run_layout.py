"""A run's conventions: the names of its files and the keys of its properties.

Jobs write a run's logs and properties; the CLI, the web UI, the widget and the SDK read them.
Both sides take the names from here, so a name is typed once. A run's files live in the
artifact store under ``runs/<run_id>/``; the names below are relative to that folder.

Example:
    >>> run_file_key("mnist_1764547200_0a1b2c3d", DRIVER_LOG)
    'runs/mnist_1764547200_0a1b2c3d/logs/driver.log'
    >>> param_key("lr"), param_name("param.lr"), param_name("runlab.compute")
    ('param.lr', 'lr', None)
"""

from __future__ import annotations

__all__ = [
    "ARGUMENTS_KEY",
    "COMPUTE_KEY",
    "DATASET_READ_PREFIX",
    "DRIVER_LOG",
    "DRIVER_LOG_NAME",
    "ENVIRONMENT_HASH_KEY",
    "ENVIRONMENT_KEY",
    "ENVIRONMENT_LOCK",
    "ENVIRONMENT_LOCK_KEY",
    "ENVIRONMENT_LOG",
    "ENVIRONMENT_LOG_NAME",
    "ENVIRONMENT_SPEC_KEY",
    "GIT_COMMIT_KEY",
    "GIT_DIRTY_KEY",
    "IMAGES_DIR",
    "INPUTS_KEY",
    "INPUT_DATASETS_KEY",
    "JOB_DEFINITION_KEY",
    "JOB_HANDLE_KEY",
    "LINEAGE_DIR",
    "LOGS_DIR",
    "MODEL_DATASETS_KEY",
    "OUTPUTS_DIR",
    "PARAM_PREFIX",
    "RAY_JOB_LOG",
    "RAY_JOB_LOG_NAME",
    "RERUN_CHANGES_KEY",
    "RERUN_OF_KEY",
    "RUNS_DIR",
    "SCRIPT_KEY",
    "SNAPSHOT_ID_KEY",
    "SWEEP_KEY",
    "TRIAL_KEY",
    "log_file",
    "param_key",
    "param_name",
    "run_file_key",
    "run_prefix",
]

# --- The run's files, relative to its folder ---------------------------------------------

LOGS_DIR = "logs"
"""The folder of a run's logs."""
OUTPUTS_DIR = "outputs"
"""The folder a job's script writes its results into; uploaded as the run's ``outputs/``."""
IMAGES_DIR = "images"
"""The folder of the images ``Run.log_image`` keeps (``images/<name>_<step>.png``)."""

DRIVER_LOG_NAME = "driver.log"
"""The file name of the script's output (stdout and stderr, as it ran)."""
ENVIRONMENT_LOG_NAME = "environment.log"
"""The file name of what building the job's environment printed."""
RAY_JOB_LOG_NAME = "ray_job.log"
"""The file name of Ray's log of a job whose run had to be ended by the cluster's monitor."""


def log_file(file_name: str) -> str:
    """The run's file name of the log ``file_name``: ``logs/<file_name>``."""
    return f"{LOGS_DIR}/{file_name}"


DRIVER_LOG = log_file(DRIVER_LOG_NAME)
"""``logs/driver.log``: the script's output, followed by ``wait_for_completion`` and the UIs."""
ENVIRONMENT_LOG = log_file(ENVIRONMENT_LOG_NAME)
"""``logs/environment.log``: what building the environment printed."""
RAY_JOB_LOG = log_file(RAY_JOB_LOG_NAME)
"""``logs/ray_job.log``: Ray's log of a job ended by the cluster's monitor."""

LINEAGE_DIR = "lineage"
"""The folder of what a run's lineage keeps as files."""
ENVIRONMENT_LOCK = f"{LINEAGE_DIR}/environment.lock.json"
"""``lineage/environment.lock.json``: every distribution installed in the interpreter that ran
the script, with its version, the Python version and the platform."""

# --- The run's files in the artifact store ----------------------------------------------

RUNS_DIR = "runs"
"""The artifact-store folder that holds one folder per run."""


def run_prefix(run_id: str) -> str:
    """The artifact-store folder of the run's files, with its slash: ``runs/<run_id>/``.

    A run's file name is what follows it: ``key[len(run_prefix(run_id)):]``.
    """
    return f"{RUNS_DIR}/{run_id}/"


def run_file_key(run_id: str, name: str) -> str:
    """The artifact-store key of the run's file ``name``: ``runs/<run_id>/<name>``.

    ``name`` is used as given: vet a name that comes from outside
    (:func:`runlab.artifacts.vet_path`) before asking for its key.
    """
    return run_prefix(run_id) + name


# --- The properties jobs write ----------------------------------------------------------

SNAPSHOT_ID_KEY = "runlab.snapshot_id"
"""The id of the snapshot of the source folder a job ran (``Run.get_snapshot_id``)."""
SCRIPT_KEY = "runlab.script"
"""The script a job ran, relative to its source folder."""
COMPUTE_KEY = "runlab.compute"
"""The name of the compute target a job was submitted to."""
ENVIRONMENT_KEY = "runlab.environment"
"""The name of the environment a job ran in."""
ENVIRONMENT_HASH_KEY = "runlab.environment_hash"
"""The hash of that environment's specification."""
ENVIRONMENT_SPEC_KEY = "runlab.environment_spec"
"""JSON: that environment's spec, environment variables by name only, and its version."""
JOB_HANDLE_KEY = "runlab.job_handle"
"""JSON: what the compute target needs to find the job again (to cancel it)."""
ARGUMENTS_KEY = "runlab.arguments"
"""JSON: the script's arguments, data references resolved to local paths."""
INPUTS_KEY = "runlab.inputs"
"""JSON: the data references the job got, and the manifest of what each held."""

INPUT_DATASETS_KEY = "runlab.input_datasets"
"""JSON: the datasets the job read: input name, dataset name, version, id, content hash."""
DATASET_READ_PREFIX = "runlab.dataset_read."
"""The prefix of a property per dataset version a run read (``<prefix><name>:<version>``,
valued with its content hash), so the runs that read a version are one search."""
JOB_DEFINITION_KEY = "runlab.job_definition"
"""JSON: what was submitted (script, arguments with their data inputs, environment spec
without the variables' values, compute target, GPU), which a re-run submits again."""
ENVIRONMENT_LOCK_KEY = "runlab.environment_lock"
"""The sha256 of the run's environment lock (the file :data:`ENVIRONMENT_LOCK`)."""
GIT_COMMIT_KEY = "runlab.git.commit"
"""The git commit of the source folder when it was submitted, where it is in a repository."""
GIT_DIRTY_KEY = "runlab.git.dirty"
"""``"true"`` when the source folder's repository had uncommitted changes, else ``"false"``."""
RERUN_OF_KEY = "runlab.rerun_of"
"""The id of the run this run re-ran."""
RERUN_CHANGES_KEY = "runlab.rerun_changes"
"""JSON: what the re-run changed (arguments set, compute target)."""
MODEL_DATASETS_KEY = "runlab.datasets"
"""JSON (a model version's property): the datasets it was trained on, each name, version,
id and content hash."""
SWEEP_KEY = "runlab.sweep"
"""JSON, on a sweep's parent run: its sampling, policy, primary metric and limits."""
TRIAL_KEY = "runlab.trial"
"""JSON, on a sweep's child run: its trial number, hyperparameters and the sampler's raw
values of them."""

PARAM_PREFIX = "param."
"""The prefix of the properties that hold the script's named arguments (``--lr 0.1``)."""


def param_key(name: str) -> str:
    """The property key of the script's argument ``name``: ``param.<name>``."""
    return PARAM_PREFIX + name


def param_name(key: str) -> str | None:
    """The argument name a property key holds (``param.lr`` -> ``lr``), or None for a key
    that is not a parameter's."""
    return key[len(PARAM_PREFIX) :] if key.startswith(PARAM_PREFIX) else None
