"""Hypothesis profiles: a fixed-seed suite by default, random exploration only under `make fuzz`.

* ``ci`` (the default, and what `make test` and CI use): ``derandomize=True``, so every run
  draws the same examples and a red test is red on every machine, not by luck.
* ``fuzz`` (`make fuzz`, ``HYPOTHESIS_PROFILE=fuzz``): random seeds and :data:`FUZZ_FACTOR` times
  more examples. Failing inputs of the ingest fuzz are saved to ``tests/reliability/fuzz_regressions``
  (replayed by every `make test`); other property tests print ``Falsifying example: ...``, which is
  added to the test as an ``@example(...)`` line.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
FUZZING = PROFILE == "fuzz"
FUZZ_FACTOR = 20

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    derandomize=False,
    deadline=None,
    max_examples=100 * FUZZ_FACTOR,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def load() -> None:
    """Load the profile named by HYPOTHESIS_PROFILE (``ci`` unless told otherwise)."""
    if PROFILE not in ("ci", "fuzz"):
        raise ValueError(f"HYPOTHESIS_PROFILE must be ci or fuzz, got {PROFILE!r}")
    settings.load_profile(PROFILE)


def scaled(examples: int) -> int:
    """A test's own example count, multiplied by :data:`FUZZ_FACTOR` under `make fuzz`."""
    return examples * FUZZ_FACTOR if FUZZING else examples
