"""The API's JSON parser (its own module: DRF reads parser settings while importing its views)."""

from rest_framework import exceptions, parsers

from portal.refusals import Refusal
from portal.text import json_clean


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing JSON nested past portal.text.MAX_JSON_DEPTH (400, not a RecursionError's 500).

    NUL characters are left to the fields, which refuse them with a message naming the field."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - the JSON is nested too deeply.") from exc
        try:
            return json_clean(data, strip_nul=False)
        except Refusal as refused:
            raise exceptions.ParseError(f"JSON parse error - {refused.message}") from refused
