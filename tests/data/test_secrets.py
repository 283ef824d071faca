"""Datastore credentials: kept in the workspace's secrets file or the environment, never in
the metadata store, a log or a repr."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from runlab import NotFoundError, ValidationError, Workspace
from runlab.data import Datastore
from runlab.data.credentials import is_secret_option, split_options

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLE-SESSION-TOKEN"


def test_credentials_stay_out_of_the_metadata_store(
    workspace: Workspace, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    datastore = Datastore.register(
        workspace,
        "vault",
        tmp_path / "vault",
        key="AKIDEXAMPLE",
        secret=SECRET,
        client_kwargs={"region_name": "eu-west-1", "aws_session_token": TOKEN},
    )
    shown = datastore.options
    assert shown == {
        "key": "***",
        "secret": "***",
        "client_kwargs": {"region_name": "eu-west-1", "aws_session_token": "***"},
    }
    for text in (repr(datastore), repr(workspace.datastores), str(shown), caplog.text):
        assert SECRET not in text and TOKEN not in text and "AKIDEXAMPLE" not in text
    workspace.close()
    database = Path(workspace.config_path).parent / "metadata.db"  # type: ignore[arg-type]
    for path in database.parent.glob("metadata.db*"):  # the WAL file too
        content = path.read_bytes()
        assert SECRET.encode() not in content and TOKEN.encode() not in content
    record = workspace.store.get_datastore("vault")
    assert record.options["secret"] == {"$secret": True}
    assert record.options["client_kwargs"]["region_name"] == "eu-west-1"

    secrets_file = database.parent / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    kept = json.loads(secrets_file.read_text())["datastores"]["vault"]
    assert kept == {
        "key": "AKIDEXAMPLE",
        "secret": SECRET,
        "client_kwargs": {"aws_session_token": TOKEN},
    }
    # Opening it fills the credentials back in (the local file system ignores them).
    reopened = Datastore.get(Workspace.from_config(workspace.config_path), "vault")
    assert reopened._storage is not None
    reopened.unregister()
    assert "vault" not in json.loads(secrets_file.read_text())["datastores"]


def test_the_environment_supplies_credentials(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runlab.data.credentials import resolve_options

    Datastore.register(workspace, "vault", tmp_path / "vault", secret=SECRET)
    record = workspace.store.get_datastore("vault")
    kept = {"secret": SECRET}
    environ = {"RUNLAB_DATASTORE_VAULT_SECRET": "from-env"}
    assert resolve_options("vault", record.options, kept, environ) == {"secret": "from-env"}
    assert resolve_options("vault", record.options, kept, {}) == {"secret": SECRET}
    with pytest.raises(NotFoundError, match="RUNLAB_DATASTORE_VAULT_SECRET"):
        resolve_options("vault", record.options, {}, {})
    # A job's workspace comes without its config folder: the environment is the way in.
    job_workspace = Workspace.from_dict(workspace.to_dict())
    with pytest.raises(NotFoundError, match="RUNLAB_DATASTORE_VAULT_SECRET"):
        Datastore.get(job_workspace, "vault").download(tmp_path / "out")
    monkeypatch.setenv("RUNLAB_DATASTORE_VAULT_SECRET", "from-env")
    assert Datastore.get(job_workspace, "vault").download(tmp_path / "out") == []
    with pytest.raises(ValidationError, match="config folder"):
        Datastore.register(job_workspace, "other", tmp_path / "other", password="pw")
    assert "other" not in job_workspace.datastores


def test_which_options_are_credentials() -> None:
    for name in (
        "key",
        "secret",
        "token",
        "password",
        "account_key",
        "sas_token",
        "connection_string",
        "client_secret",
        "aws_secret_access_key",
        "credential",
    ):
        assert is_secret_option(name), name
    for name in (
        "client_kwargs",
        "config_kwargs",
        "s3_additional_kwargs",
        "endpoint_url",
        "region_name",
        "anon",
        "account_name",
        "auto_mkdir",
    ):
        assert not is_secret_option(name), name
    plain, hidden = split_options(
        "x", {"anon": False, "client_kwargs": {"endpoint_url": "u", "aws_session_token": "t"}}
    )
    assert plain == {
        "anon": False,
        "client_kwargs": {"endpoint_url": "u", "aws_session_token": {"$secret": True}},
    }
    assert hidden == {"client_kwargs": {"aws_session_token": "t"}}
