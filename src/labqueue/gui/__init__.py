"""Qt widgets of labqueue: thin adapters over the engine in :mod:`labqueue.manager`."""
