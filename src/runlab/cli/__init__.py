"""Layer 3: the ``runlab`` command line (Typer and Rich).

Example:
    $ runlab init
    $ runlab tutorial mnist
    $ runlab run list
"""

from runlab.cli.app import app, main

__all__ = ["app", "main"]
