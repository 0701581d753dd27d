"""Django integration for Recur, Taiwan's subscription-billing platform."""

__version__ = "0.1.0"
