"""Django admin for recur_django; one module per model."""
