"""
The exit statuses of ``onlyonce``, in one place (``onlyonce --help`` lists them).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_BAD_RESPONSE",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
]

EXIT_OK: Final = 0
EXIT_API_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_NETWORK_ERROR: Final = 3
EXIT_BAD_RESPONSE: Final = 4
#: ``onlyonce share`` stopped by SIGINT/SIGTERM after draining: run it again to resume.
EXIT_INTERRUPTED: Final = 5
