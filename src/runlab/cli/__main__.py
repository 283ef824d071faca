"""``python -m runlab.cli``: the same as the ``runlab`` console script."""

from runlab.cli import main

if __name__ == "__main__":
    main()
