"""Billing teams: a runnable recipe and its tests.

A small app (``Team``, ``Membership`` with a role) that owns Recur billing through
``RECUR["OWNER_MODEL"] = "teams.Team"``, with the two callables a site writes
(:mod:`tests.teams.billing`). Its tests need their own settings (the owner model is read
when the models are declared), so they run apart from the rest of the suite::

    DJANGO_SETTINGS_MODULE=tests.teams.settings python -m pytest tests/teams

(``scripts/test.sh`` runs them on both databases and both Django versions.)
"""
