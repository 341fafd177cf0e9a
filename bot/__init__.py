"""flux-review's GitHub App: webhooks in, durable review jobs, GitHub's API out.

The web side (``bot.app``, ``bot.webhooks``, ``bot.handlers``) verifies and
routes deliveries and persists jobs; the worker side (``bot.jobs``,
``bot.worker``, ``bot.review``) runs them against GitHub (``bot.github``,
``bot.transport``, ``bot.auth``) and the engine (``checks``), and keeps the
``flux-review`` Check Run honest (``bot.checkrun``). ``bot.cli`` adds
``serve`` and ``worker`` to the ``flux-review`` command.
"""
