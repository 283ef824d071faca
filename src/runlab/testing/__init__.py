"""Test helpers that ship with runlab: the contract suites every backend runs."""
