"""k-anonymity by generalisation and withholding (pure functions, no database).

A table is k-anonymous over its quasi-identifiers (columns that, combined, could single a
person out: year, gender, age band, citizenship, country...) when every combination of their
values that appears is shared by at least k records.

`k_anonymise` reaches it in two steps, the way ARX or anjana do it:

1. Generalise: each quasi-identifier has a hierarchy of ever coarser values (age band →
   minor/adult → unknown; country → region → unknown; year → period → unknown). Every
   combination of levels is tried (a few hundred at most) and the one that loses least
   information is kept: a record keeps the share of detail its levels leave, and a withheld
   record loses all of it. Only combinations that withhold at most `max_withheld` of the
   records qualify (when none does, the one withholding fewest).
2. Withhold the records still in groups smaller than k.

Generalisation changes values, never adds or removes columns; withheld records are dropped.
"""

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# One quasi-identifier's levels: level 0 maps a value to itself, each next level to a coarser
# value, the last one to "unknown".
Hierarchy = Sequence[Callable[[str], str]]

DEFAULT_MAX_WITHHELD = 0.1  # share of the records that may be withheld to keep more detail


@dataclass(frozen=True)
class Anonymised:
    """The k-anonymous rows and what it took to get there."""

    frame: pd.DataFrame
    k: int
    records: int  # rows given
    generalised: int  # rows kept with at least one quasi-identifier made coarser
    withheld: int  # rows left out because their group stayed smaller than k
    levels: dict[str, int] = field(default_factory=dict)  # the level chosen per column

    @property
    def kept(self) -> int:
        return self.records - self.withheld


def smallest_group(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> int:
    """The size of the smallest group of rows sharing the quasi-identifiers' values (the k the
    table reaches); 0 for an empty table."""
    if frame.empty:
        return 0
    if not quasi_identifiers:
        return len(frame)
    return int(frame.groupby(list(quasi_identifiers), dropna=False).size().min())


def k_anonymise(
    frame: pd.DataFrame,
    hierarchies: Mapping[str, Hierarchy],
    k: int,
    *,
    max_withheld: float = DEFAULT_MAX_WITHHELD,
) -> Anonymised:
    """The rows of `frame` with its quasi-identifiers (the keys of `hierarchies`) generalised
    and its remaining small groups withheld, so that every group has at least k rows."""
    columns = list(hierarchies)
    records = len(frame)
    if records == 0 or k <= 1:
        return Anonymised(frame.copy(), k, records, 0, 0, dict.fromkeys(columns, 0))
    original = {column: [str(value) for value in frame[column].tolist()] for column in columns}
    # Every column at every level, as small integer codes: a level combination's groups are
    # then one np.unique over a combined key.
    coded: dict[str, list[np.ndarray]] = {}
    generalised_values: dict[str, list[list[str]]] = {}
    for column in columns:
        coded[column] = []
        generalised_values[column] = []
        for level in hierarchies[column]:
            values = [level(value) for value in original[column]]
            generalised_values[column].append(values)
            coded[column].append(pd.factorize(pd.Series(values))[0].astype(np.int64))
    heights = {column: max(len(hierarchies[column]) - 1, 1) for column in columns}
    budget = int(max_withheld * records)

    best: tuple[tuple[int, float], tuple[int, ...], np.ndarray] | None = None
    for levels in itertools.product(*(range(len(hierarchies[c])) for c in columns)):
        small = _rows_in_small_groups(coded, columns, levels, k)
        withheld = int(small.sum())
        detail_lost = sum(levels[i] / heights[c] for i, c in enumerate(columns)) / len(columns)
        loss = (records - withheld) * detail_lost + withheld
        # Within the budget first, then least information lost, then fewest rows withheld.
        rank = (0 if withheld <= budget else withheld, loss)
        if best is None or rank < best[0]:
            best = (rank, levels, small)
    assert best is not None
    _rank, levels, small = best
    result = frame.copy()
    changed = np.zeros(records, dtype=bool)
    for i, column in enumerate(columns):
        values = generalised_values[column][levels[i]]
        result[column] = values
        changed |= np.array([a != b for a, b in zip(values, original[column], strict=True)])
    kept = ~small
    return Anonymised(
        frame=result[kept].reset_index(drop=True),
        k=k,
        records=records,
        generalised=int((changed & kept).sum()),
        withheld=int(small.sum()),
        levels=dict(zip(columns, levels, strict=True)),
    )


def _rows_in_small_groups(
    coded: Mapping[str, list[np.ndarray]], columns: Sequence[str], levels: Sequence[int], k: int
) -> np.ndarray:
    """A mask of the rows whose group (at these levels) has fewer than k rows."""
    key = np.zeros(len(coded[columns[0]][0]), dtype=np.int64)
    for column, level in zip(columns, levels, strict=True):
        codes = coded[column][level]
        key = key * (int(codes.max()) + 1) + codes
        key = np.unique(key, return_inverse=True)[1].astype(np.int64)  # renumber: no overflow
    _unique, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return np.asarray(counts[inverse] < k)
