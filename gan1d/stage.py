"""Imported first by every stage script: from then on Ctrl-C or SIGTERM ends the stage with one line, exit 130.

    import gan1d.stage  # noqa: F401  (first of the gan1d imports)

See :func:`gan1d.errors.guard`. Kept apart from the library so that importing gan1d elsewhere (a notebook, the
tests) never changes how that process handles signals.
"""

from gan1d.errors import guard

guard()
