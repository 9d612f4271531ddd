"""The live engine: the composition root that runs one bot against a venue, live or on paper."""
