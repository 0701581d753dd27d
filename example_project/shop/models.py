"""The shop keeps no billing data of its own: credits are Recur's (see
``recur_django.credits``), payments and subscriptions recur-django's."""
