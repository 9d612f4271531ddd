"""Local simulators of the venues, written from the wire contracts in ``docs/venues/``."""
