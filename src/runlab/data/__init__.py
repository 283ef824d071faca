"""Layer 2: datastores, and data references that become local paths inside runs.

A :class:`Datastore` is a named place for data: a local folder, ``s3://bucket/prefix`` (with
s3fs installed), any fsspec URL. Every workspace has one, ``workspaceblobstore``, in its
artifact root (``ws.get_default_datastore()``); others are registered with
:meth:`Datastore.register`. ``upload``/``upload_files``/``download`` move many files in
parallel with a progress bar and record the sha256 of everything uploaded (:class:`Manifest`).
``ds.path("mnist").as_mount()`` or ``.as_download()`` is a :class:`DataReference` to pass to
a run; :func:`materialize` makes it a local path inside the run.

**Credentials** never reach the metadata store, a log or a repr. Storage options that look
like credentials (``key``, ``secret``, ``token``, ``password``, ``account_key``,
``sas_token``, ``connection_string``, ``client_secret``, ... anywhere in the options) are kept
in the workspace's ``.runlab/secrets.json`` (beside the config, mode 0600, replaced
atomically), keyed by datastore name; the metadata store keeps only a marker saying a
credential is needed. At use, the environment variable ``RUNLAB_DATASTORE_<NAME>_<OPTION>``
(e.g. ``RUNLAB_DATASTORE_RAW_S3_SECRET``) wins over the file, which is how a job on another
machine gets them; ``RUNLAB_SECRETS_FILE`` names a secrets file for a workspace opened without
its config folder.

**Datasets** (:class:`Dataset`): ``Dataset.File.from_files`` and ``Dataset.Tabular.from_*``
describe data on datastores or at URLs; ``register`` records versions that pin every file's
size and sha256, checked whenever a version is read (:class:`DataChangedError`).
"""

from runlab.data._dataset_files import DataChangedError
from runlab.data._manifest import Manifest
from runlab.data._mount import MountContext
from runlab.data._registry import DEFAULT_DATASTORE_NAME
from runlab.data._transfer import TransferError
from runlab.data.consumption import DatasetConsumptionConfig
from runlab.data.dataset import AbstractDataset, Dataset, FileDataset, TabularDataset
from runlab.data.datastore import Datastore
from runlab.data.materialize import materialize
from runlab.data.reference import DataReference, MaterializedReference

__all__ = [
    "DEFAULT_DATASTORE_NAME",
    "AbstractDataset",
    "DataChangedError",
    "DataReference",
    "Dataset",
    "DatasetConsumptionConfig",
    "Datastore",
    "FileDataset",
    "Manifest",
    "MaterializedReference",
    "MountContext",
    "TabularDataset",
    "TransferError",
    "materialize",
]
