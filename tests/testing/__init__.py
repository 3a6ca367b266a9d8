"""
Wire-level tests of the sandbox (onlyonce_async.testing).
"""
