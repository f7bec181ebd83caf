"""Weighted draws made once and drawn many times, for the synthetic data's hot loops.

`Draw(population, weights)(rng)` returns exactly what `rng.choices(population, weights)[0]`
returns, from the same single `rng.random()`: `random.choices` accumulates the weights, then
bisects `random() * total` in them; here the weights are accumulated once instead of at each
of ~400,000 draws (tests/test_draws.py checks the two agree, draw by draw).
"""

import bisect
import itertools
import random
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class Draw(Generic[T]):
    """One of `population`, in proportion to `weights`."""

    __slots__ = ("cumulative", "last", "population", "total")

    def __init__(self, population: Sequence[T], weights: Iterable[float]) -> None:
        self.population = tuple(population)
        self.cumulative = list(itertools.accumulate(weights))
        if len(self.cumulative) != len(self.population):
            raise ValueError("the number of weights does not match the population")
        self.total = self.cumulative[-1] + 0.0
        if self.total <= 0.0:
            raise ValueError("total of weights must be greater than zero")
        self.last = len(self.population) - 1

    def __call__(self, rng: random.Random) -> T:
        return self.population[
            bisect.bisect(self.cumulative, rng.random() * self.total, 0, self.last)
        ]


def values(*enums: type[StrEnum]) -> dict[StrEnum, str]:
    """Each member's value by member: a dict lookup instead of the `.value` property."""
    return {member: member.value for enum in enums for member in enum}
