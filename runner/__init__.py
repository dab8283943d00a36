"""Re-executes a manifest's compression recipes and measures them.

Not built yet: `mcv reproduce` arrives with issue #3. Only the package exists so the
distribution's layout matches DESIGN.md.
"""
