"""An app whose templates override recur-django's (docs: Customising the pages)."""
