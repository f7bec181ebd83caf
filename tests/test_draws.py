"""The synthetic data's precomputed draws give, draw by draw, what `random.choices` gives:
`seed scale`'s rows stay the same (services/tooling/draws.py)."""

import random

import pytest

from models.enums import EnrollmentStatus, Stage
from services.tooling.draws import Draw, values


@pytest.mark.parametrize(
    ("population", "weights"),
    [
        (tuple(EnrollmentStatus), (3, 12, 72, 13)),
        (tuple(EnrollmentStatus), (12, 80, 0, 8)),
        (("a", "b", "c"), (1, 2, 1)),
        (("x", "y"), (0.25, 0.75)),
        (("only",), (5,)),
    ],
)
def test_a_draw_is_what_choices_draws(population, weights):
    draw = Draw(population, weights)
    ours, theirs = random.Random(11), random.Random(11)
    for _ in range(5000):
        assert draw(ours) == theirs.choices(population, weights)[0]
    assert ours.random() == theirs.random()  # the same random numbers were used up


def test_a_draw_refuses_what_choices_refuses():
    with pytest.raises(ValueError, match="greater than zero"):
        Draw(("a", "b"), (0, 0))
    with pytest.raises(ValueError, match="does not match"):
        Draw(("a", "b"), (1,))


def test_values_are_the_members_values():
    found = values(Stage, EnrollmentStatus)
    assert found[Stage.closed] == "closed" and type(found[Stage.closed]) is str
    assert all(found[member] == member.value for member in EnrollmentStatus)
