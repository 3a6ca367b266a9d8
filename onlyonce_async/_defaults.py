"""
Constants the command line needs before it imports httpx: this module imports nothing.
"""

from typing import Final

__all__ = ["DEFAULT_BASE_URL"]

#: The Only Once API v2 root, used when no base URL is given.
DEFAULT_BASE_URL: Final = "https://api.onlyonce.com/v2/"
