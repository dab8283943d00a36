"""Re-executes a manifest's compression recipes and measures them (`mcv reproduce`).

Imported only when a command really runs models: torch and transformers load inside the
functions that need them, so `mcv check` never pays for them.
"""
