"""Schema migrations: applied automatically, once, safely when processes race."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from runlab.errors import BackendError
from runlab.store import SqlMetadataStore
from runlab.store.sql import migrate
from runlab.store.sql.schema import metadata


def test_head_constant_matches_the_migration_scripts() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    assert script.get_current_head() == migrate.HEAD_REVISION
    assert {rev.revision for rev in script.walk_revisions()} == set(migrate.KNOWN_REVISIONS)


def _schema_differences(url: str) -> list[object]:
    store = SqlMetadataStore(url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": migrate.VERSION_TABLE}
            )
            return [
                diff
                for diff in compare_metadata(context, metadata)
                if not (diff[0] == "remove_table" and diff[1].name == migrate.VERSION_TABLE)
            ]
    finally:
        store.close()


def test_migrated_sqlite_schema_matches_the_tables(tmp_path: Path) -> None:
    assert _schema_differences(f"sqlite:///{tmp_path}/m.db") == []


def test_migrated_postgres_schema_matches_the_tables(postgres_url: str) -> None:
    assert _schema_differences(postgres_url) == []


def _open_and_create(url: str, index: int) -> str:
    store = SqlMetadataStore(url)
    store.get_or_create_experiment("shared")
    store.create_run("shared", f"run-{index}")
    store.close()
    return "ok"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_processes_opening_a_new_store_at_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path}/m.db"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    context = multiprocessing.get_context("spawn")
    with context.Pool(6) as pool:
        results = pool.starmap(_open_and_create, [(url, i) for i in range(6)])
    assert results == ["ok"] * 6
    store = SqlMetadataStore(url)
    assert sorted(r.number for r in store.search_runs()) == [1, 2, 3, 4, 5, 6]
    with store.engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.HEAD_REVISION
    store.close()


def test_a_store_from_a_newer_runlab_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    SqlMetadataStore(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(BackendError, match="newer runlab"):
        SqlMetadataStore(url)


def test_bad_urls_are_clear_errors() -> None:
    from runlab.errors import ValidationError

    with pytest.raises(ValidationError, match="SQLite or PostgreSQL"):
        SqlMetadataStore("mysql://root@localhost/db")
    with pytest.raises(ValidationError, match="not a database URL"):
        SqlMetadataStore("::::")


def test_unreachable_postgres_is_a_backend_error() -> None:
    with pytest.raises(BackendError, match="metadata store"):
        SqlMetadataStore("postgresql://nobody@127.0.0.1:1/none")
