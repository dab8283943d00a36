"""`mcv import`: read the hand-written results tables a course already has."""
