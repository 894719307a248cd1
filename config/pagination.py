"""Keyset ("cursor") pagination for the API's large collections.

A page ends at a row; the next page is the rows that come after that row in the list's order, found through the
order's index, so a page deep in a million tickets costs what the first one costs, and nothing counts the whole
collection. A row added or changed between two requests never makes a row appear twice or go missing from the
rows that kept their place: the position is a row's sort values (ending with its primary key, so ties in the
sort are broken), not an offset.

Any order the view sets works (several keys, either direction, a related field, NULLS LAST): the cursor carries
the last row's value of each key and the order it was taken in; a cursor used with another order is refused.

The pages people read by number (the queue, a customer's tickets) keep OFFSET, but through `IdsFirstPaginator`.
"""

import base64
import binascii
import json

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, GeneratedField, OrderBy, Q
from django.utils.encoding import force_str
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class IdsFirstPaginator(Paginator):
    """Numbered pages of a queryset read in two steps: the page's primary keys, which the order's index answers
    alone however deep the page is (OFFSET then skips index entries, not table rows with their joins), then
    the rows of those keys with everything the queryset loads, in the same order."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=keys)} if keys else {}
        # A row changed between the two reads so that it left the list is left out rather than shown stale.
        return self._get_page([rows[key] for key in keys if key in rows], number, self)


INVALID_CURSOR = "This cursor is not valid (it may belong to another ordering): start again from the first page."


class SortKey:
    """One key of an order: a field path, its direction, where its NULLs go (PostgreSQL's defaults unless set),
    and whether the column can hold NULL at all."""

    def __init__(self, path: str, *, descending: bool, nulls_last: bool | None = None, nullable: bool = True):
        self.path = path
        self.descending = descending
        # PostgreSQL puts NULLs last going up and first going down, which is what a b-tree index serves.
        self.nulls_last = (not descending) if nulls_last is None else nulls_last
        self.nullable = nullable

    def reversed(self) -> "SortKey":
        return SortKey(
            self.path, descending=not self.descending, nulls_last=not self.nulls_last, nullable=self.nullable
        )

    def order_by(self) -> OrderBy:
        if not self.nullable:
            return OrderBy(F(self.path), descending=self.descending)
        return OrderBy(
            F(self.path),
            descending=self.descending,
            nulls_last=True if self.nulls_last else None,
            nulls_first=None if self.nulls_last else True,
        )

    def signature(self) -> str:
        return f"{'-' if self.descending else ''}{self.path}{'' if self.nulls_last else '^'}"

    def _beyond(self, value, *, inclusive: bool = False) -> Q:
        lookup = ("lt" if self.descending else "gt") + ("e" if inclusive else "")
        return Q(**{f"{self.path}__{lookup}": value})

    def after(self, value) -> Q:
        """Rows whose value of this key comes strictly after `value` in this key's order."""
        if not self.nullable:
            return self._beyond(value)
        is_null = Q(**{f"{self.path}__isnull": True})
        if value is None:
            return Q(pk__in=[]) if self.nulls_last else ~is_null
        return self._beyond(value) | is_null if self.nulls_last else self._beyond(value)

    def equal(self, value) -> Q:
        return Q(**{f"{self.path}__isnull": True}) if value is None else Q(**{self.path: value})

    def bound(self, value) -> Q | None:
        """A looser condition than `after | equal` on this key alone, which lets the index start at the position."""
        if value is None or (self.nullable and self.nulls_last):
            return None
        return self._beyond(value, inclusive=True)


def sort_keys(queryset) -> list[SortKey]:
    """The queryset's order as keys, ending with the primary key (added when missing) so that no two rows tie."""
    model = queryset.model
    keys = []
    for item in queryset.query.order_by or model._meta.ordering:
        if isinstance(item, str):
            path, descending, nulls_last = item.lstrip("-"), item.startswith("-"), None
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            path, descending = item.expression.name, item.descending
            nulls_last = True if item.nulls_last else (False if item.nulls_first else None)
        else:
            raise TypeError(f"Keyset pagination cannot follow the order {item!r}.")
        path = "pk" if path in ("id", "pk") else path
        keys.append(SortKey(path, descending=descending, nulls_last=nulls_last, nullable=_field(model, path).null))
    if not queryset.query.standard_ordering:
        keys = [key.reversed() for key in keys]
    if not any(key.path == "pk" for key in keys):
        keys.append(SortKey("pk", descending=keys[-1].descending if keys else False, nullable=False))
    return keys[: [key.path for key in keys].index("pk") + 1]


def _field(model, path: str):
    """The model field at the end of `path` (a generated column answers with the field it outputs)."""
    field = None
    for part in path.split("__"):
        field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        model = field.related_model or model
    if isinstance(field, GeneratedField):
        return field.output_field
    return field


def _value_of(row, path: str):
    for part in path.split("__"):
        row = None if row is None else getattr(row, part)
    return row


class KeysetPagination(BasePagination):
    """`?cursor=` pages of `page_size` rows in the view's order, with `next` and `previous` links (null at an end).

    The answer has no total: counting every row is what this pagination avoids. Use a filter, or the
    collection's own counting endpoint, to learn how many rows there are.
    """

    page_size = 50
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.base_url = request.build_absolute_uri()
        keys = sort_keys(queryset)
        position, backwards = self._decode(request.query_params.get(self.cursor_query_param), keys, queryset.model)
        walk = [key.reversed() for key in keys] if backwards else keys
        rows = queryset.order_by(*(key.order_by() for key in walk))
        rows.query.standard_ordering = True  # `walk` already says the direction (a .reverse() is in the keys)
        if position is not None:
            rows = rows.filter(self._after(walk, position))
        found = list(rows[: self.page_size + 1])
        more = len(found) > self.page_size
        page = found[: self.page_size]
        if backwards:
            page.reverse()
        self.keys = keys
        self.has_next = more if not backwards else True
        self.has_previous = (position is not None) if not backwards else more
        self.page = page
        return page

    @staticmethod
    def _after(keys: list[SortKey], position: list) -> Q:
        condition = Q(pk__in=[])
        for i, key in enumerate(keys):
            same = Q()
            for earlier, value in zip(keys[:i], position, strict=False):
                same &= earlier.equal(value)
            condition |= same & key.after(position[i])
        bound = keys[0].bound(position[0])
        return condition & bound if bound is not None else condition

    def _decode(self, encoded: str | None, keys: list[SortKey], model):
        if not encoded:
            return None, False
        try:
            data = json.loads(base64.urlsafe_b64decode(encoded.encode("ascii")).decode("utf-8"))
            if data["o"] != [key.signature() for key in keys] or len(data["p"]) != len(keys):
                raise ValueError("another ordering")
            position = [
                None if raw is None else _field(model, key.path).to_python(raw)
                for key, raw in zip(keys, data["p"], strict=True)
            ]
            return position, bool(data.get("r"))
        except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error, FieldDoesNotExist, ValidationError):
            raise serializers.ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from None

    @classmethod
    def encode(cls, row, keys: list[SortKey], *, backwards: bool = False) -> str:
        """The cursor of the rows after `row` (before it, `backwards`) in the order of `keys`."""
        position = []
        for key in keys:
            value = _value_of(row, key.path)
            position.append(
                None if value is None else force_str(value.isoformat() if hasattr(value, "isoformat") else value)
            )
        data = {"o": [key.signature() for key in keys], "p": position, "r": int(backwards)}
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode("ascii")

    @classmethod
    def cursor_after(cls, queryset, row) -> str:
        """The cursor of the page that follows `row` in `queryset`'s order (for clients and the bench)."""
        return cls.encode(row, sort_keys(queryset))

    def _link(self, row, *, backwards: bool) -> str:
        return replace_query_param(
            self.base_url, self.cursor_query_param, self.encode(row, self.keys, backwards=backwards)
        )

    def get_next_link(self):
        if not (self.has_next and self.page):
            return None
        return self._link(self.page[-1], backwards=False)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self.page:
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self.page[0], backwards=True)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page, or null on the last one."},
                "previous": {**link, "description": "The previous page, or null on the first one."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where a page starts: take it from the `next` or `previous` link of the page before.",
                "schema": {"type": "string"},
            }
        ]
