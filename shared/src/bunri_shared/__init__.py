"""Bunri's shared library: used by every subgraph, never run on its own."""
