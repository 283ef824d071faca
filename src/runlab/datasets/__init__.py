"""Datasets the tutorials use, downloaded from their public sources, verified and cached.

Example:
    >>> from runlab.datasets import mnist
    >>> X_train, y_train, X_test, y_test = mnist.load()  # doctest: +SKIP
"""

from __future__ import annotations

from runlab.datasets import mnist

__all__ = ["mnist"]
