"""
Authentication (onlyonce_async/_auth.py, _jwt.py): bearer sign-in, the JWT API, and one
sign-in or access renewal per episode under concurrency.
"""
