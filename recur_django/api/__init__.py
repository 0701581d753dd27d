"""Optional REST API (Django REST framework): include ``recur_django.api.urls``."""
