"""A team's own recipe script. It may run only inside the sandbox, which is not built yet."""

from __future__ import annotations

from runner.errors import Unsupported
from runner.recipes.base import Built, Recipe, RecipeContext


class Custom(Recipe):
    method = "custom"

    def build(self, ctx: RecipeContext) -> Built:
        raise Unsupported(
            "custom recipes run only inside the sandbox, which is not built yet "
            "(issue #8); this runner never executes a team's code unsandboxed"
        )
