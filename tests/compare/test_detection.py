from tests.compare.detection import tally
from tests.compare.planted import PLANTS


def test_planted_discrepancies_are_found_exactly() -> None:
    result = tally()
    assert result.wrong == []
    assert (result.precision, result.recall) == (1.0, 1.0)
    assert result.true_positive >= sum(1 for *_, mismatch in PLANTS if mismatch)


def test_suite_has_near_boundary_cases_on_both_sides() -> None:
    names = [p[0] for p in PLANTS]
    assert any("(inside)" in n for n in names)
    assert any("(outside)" in n for n in names)
