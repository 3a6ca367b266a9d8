"""
Fixtures for the reliability suite: quiet, seeded, bounded.
"""

from __future__ import annotations

import pytest

from onlyonce_async import RetryPolicy

#: Retries that take microseconds, so fuzzing and soaking spend their time on calls.
FAST_RETRIES = RetryPolicy(initial=0.001, maximum=0.005, rate_limit_default=0.01)


@pytest.fixture
def fast_retries() -> RetryPolicy:
    """A retry policy with tiny backoff."""
    return FAST_RETRIES
