"""runlab's version, in a module of its own so that any layer may read it without importing
the package's public surface (``runlab/__init__``), which loads layer 2."""

__version__ = "0.1.0"
