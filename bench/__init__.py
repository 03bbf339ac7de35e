"""The benchmark harness behind `make bench` (see bench/README.md); never part of production."""
