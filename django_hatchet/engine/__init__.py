"""The only package that imports the Hatchet SDK (and gRPC).

Everything that talks to a Hatchet engine goes through here, in modules of one job each:
``client`` (the process's client and its settings), ``definitions`` (a job as the SDK's
task), ``dispatch`` (sending runs), ``runs`` (reading runs back, cancelling them), ``worker``
(running jobs), ``crons``, ``admin_api`` (what the admin shows) and ``testing`` (the test
fixture's look-ups). Their functions take and return plain values: nothing here knows a
``JobRun`` or a backend. Nothing imports this package until a job is dispatched to an engine
or a worker starts, so a web process in inline mode never loads the SDK (about 1.5 s and
90 MB); importing this package itself imports nothing.
"""
