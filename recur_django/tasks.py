"""Django's tasks framework, wherever it comes from.

``django.tasks`` on Django 6; the ``django-tasks`` backport (``pip install
recur-django[tasks]``) on Django 5.2. ``task`` and ``task_backends`` are None when neither
is installed (``RECUR['WEBHOOK_PROCESSING'] = "task"`` then fails system check recur.E010).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any


def _framework() -> Any:
    """``django.tasks`` (Django 6), else the ``django_tasks`` backport, else None."""
    for name in ("django.tasks", "django_tasks"):
        try:
            return import_module(name)
        except ImportError:
            continue
    return None


_module = _framework()
task: Any = getattr(_module, "task", None)
task_backends: Any = getattr(_module, "task_backends", None)

#: Backends that do not run tasks in a separate worker: "immediate" runs them in the
#: request, "dummy" never runs them.
NOT_DEFERRING_BACKENDS = ("ImmediateBackend", "DummyBackend")


def available() -> bool:
    """Whether a tasks framework can be imported."""
    return task is not None


def default_backend() -> Any:
    """The default task backend, or None (no framework, an unknown alias, or a backend
    that cannot be imported)."""
    if task_backends is None:
        return None
    try:
        return task_backends["default"]
    except Exception:  # an unknown alias or a backend that cannot be imported
        return None


def default_backend_name() -> str:
    """The class name of the default task backend ("" when there is none)."""
    backend = default_backend()
    return "" if backend is None else type(backend).__name__


def is_django_tasks_db(backend: Any) -> bool:
    """Whether ``backend`` is django-tasks-db's (it stores tasks in a table)."""
    return backend is not None and type(backend).__module__.split(".")[0] == "django_tasks_db"
