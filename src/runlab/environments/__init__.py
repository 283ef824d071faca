"""Environments: the Python a submitted job's script runs in.

:class:`Environment` is the spec (packages, Python version), :class:`EnvironmentBuilder` the
interface whose docstring is the contract, and :class:`UvEnvironmentBuilder` builds each
distinct spec once with uv into a cache shared by every process on the machine.

Example:
    >>> from runlab.environments import Environment, UvEnvironmentBuilder
    >>> env = Environment("sklearn-env", pip_packages=["scikit-learn"])
    >>> resolved = UvEnvironmentBuilder().resolve(env, print)  # doctest: +SKIP
    >>> resolved.python  # doctest: +SKIP
    PosixPath('/home/me/.cache/runlab/environments/3f2a.../bin/python')
"""

from runlab.environments._uv import venv_python
from runlab.environments.base import EnvironmentBuilder, ResolvedEnvironment
from runlab.environments.conda import CondaDependencies
from runlab.environments.errors import EnvironmentBuildError
from runlab.environments.spec import Environment
from runlab.environments.uv_builder import UvEnvironmentBuilder

__all__ = [
    "CondaDependencies",
    "Environment",
    "EnvironmentBuildError",
    "EnvironmentBuilder",
    "ResolvedEnvironment",
    "UvEnvironmentBuilder",
    "venv_python",
]
