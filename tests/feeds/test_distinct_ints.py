"""`distinct_ints` is `np.unique(values).tolist()` (the recording index's feeds and items),
without the `numpy.ma` import that `np.unique` makes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from issdash.feeds.recording_lines import distinct_ints


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=200))
def test_distinct_ints_are_numpys_unique_values(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    assert distinct_ints(array) == np.unique(array).tolist()


def test_a_slice_of_repeated_codes() -> None:
    codes = np.array([3, 1, 3, 0, 1, 1, 7], dtype=np.int64)
    assert distinct_ints(codes[1:]) == [0, 1, 3, 7]
