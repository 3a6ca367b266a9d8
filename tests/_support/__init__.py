"""
Shared test support, one copy of each (STYLE.md item 20): import from here, never copy.

- `backends`: ``asyncio_only`` (a class or test) and ``asyncio_backend`` (a module) for
  tests that cannot run on trio.
- `clocks`: the fake clocks.
- `datastore`: ``field_ids`` of a profile's datastore.
- `fixtures`: ``anyio_backend``, ``clock``, ``rsa_key``, ``public_pem`` (a pytest plugin).
- `helpers`: fast clients, a recording fake server, a counting limiter, JSON responses, a
  gate for fake servers.
- `jwt_server`: an independent JWT API verifier.
- `keys`: RSA/EC keys generated at test time, as PEM.
- `network_server`: ``NetworkServer``, a fake holding share requests, faults scripted per
  recipient (the bulk and journal tests).
- `processes`: subprocesses (a served sandbox, an example service) stopped with their group.
- `redis_server`: a throw-away ``redis-server``.
- `tcp`: a test's own ASGI app served over a real socket.
"""
