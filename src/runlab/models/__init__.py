"""Layer 2: the model registry.

:class:`Model` registers a local file or folder (or, through
:meth:`runlab.Run.register_model`, a run's files) as the next version of a named model, finds
versions, downloads them and traces them back to their run. A version's files live under
``models/<name>/<version>/`` in the workspace's artifact store with their content hash
(:func:`content_hash`), and never change.

Example:
    >>> model = run.register_model("mnist", "outputs/model.pkl")  # doctest: +SKIP
    >>> model.name, model.id, model.version  # doctest: +SKIP
    ('mnist', 'mnist:1', 1)
"""

from runlab.models.files import content_hash
from runlab.models.model import Model
from runlab.models.registration import register_run_files
from runlab.models.values import check_model_name, parse_model_id

__all__ = ["Model", "check_model_name", "content_hash", "parse_model_id", "register_run_files"]
