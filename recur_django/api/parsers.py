"""Request parsers of the REST API."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, answering 400 for bodies nested too deeply to decode.

    ``json.loads`` raises ``RecursionError`` (not ``ValueError``) for such bodies, which
    the stock parser lets through as a 500.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


def safe_parsers(parsers: list[BaseParser]) -> list[BaseParser]:
    """``parsers`` with the stock JSON parser swapped for :class:`SafeJSONParser`."""
    return [SafeJSONParser() if type(parser) is JSONParser else parser for parser in parsers]
