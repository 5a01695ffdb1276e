"""Keyset pagination: pages in (updated_at, id) order, each after the last row of the one before.

DRF's CursorPagination keeps the position in the first ordering field only and counts an offset
among equal values: cameras written together (an import, a bulk result of 5,000 connections)
share one updated_at, and a page deep into them would scan every row before it. Here the cursor
is the last row's (updated_at, id) and the next page is

    WHERE updated_at > t OR (updated_at = t AND id > i) ORDER BY updated_at, id LIMIT n

read from the (updated_at, id) index (cameras' `cameras_camera_updated_idx`): the same cost for
the first and the last page of 100,000 cameras (bench/bench_api.py). No row is skipped: a row
changed while a program pages moves to the end (its updated_at grows) and is read again there,
which is what a program syncing with `updated_since` wants.

The cursor is opaque to callers (base64url of the two values); only `next` is given: a program
reads forward.
"""

import base64
import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 100
    max_page_size = 1000
    # (position field, its type): the tie-breaker is always the primary key.
    field = "updated_at"
    invalid_cursor_message = _("The cursor is not valid: start again from the first page.")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._page_size(request)
        position = self._decode(request.query_params.get(self.cursor_query_param))
        queryset = queryset.order_by(self.field, "pk")
        if position is not None:
            value, pk = position
            queryset = queryset.filter(
                Q(**{f"{self.field}__gt": value}) | Q(**{self.field: value, "pk__gt": pk})
            )
        rows = list(queryset[: size + 1])
        self.has_next = len(rows) > size
        rows = rows[:size]
        self.last = rows[-1] if rows else None
        return rows

    def get_paginated_response(self, data):
        return Response({"next": self._next_link(), "results": data})

    def _page_size(self, request):
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except ValueError:
            size = self.page_size
        return max(1, min(size, self.max_page_size))

    def _next_link(self):
        if not self.has_next or self.last is None:
            return None
        value = self.value_of(self.last)
        raw = f"{self.encode_value(value)}|{self.last.pk}".encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, cursor
        )

    def value_of(self, row):
        return getattr(row, self.field)

    def encode_value(self, value):
        return value.isoformat()

    def decode_value(self, text):
        return datetime.datetime.fromisoformat(text)

    def _decode(self, cursor):
        if not cursor:
            return None
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            value, _bar, pk = base64.urlsafe_b64decode(padded.encode()).decode().rpartition("|")
            return self.decode_value(value), int(pk)
        except (ValueError, UnicodeDecodeError):
            raise NotFound(self.invalid_cursor_message) from None

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null after the last one.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: the cursor of the previous page's `next`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, at most {self.max_page_size} "
                f"(default {self.page_size}).",
                "schema": {"type": "integer"},
            },
        ]


class DayPagination(KeysetPagination):
    """Daily snapshots in (day, id) order."""

    field = "day"

    def decode_value(self, text):
        return datetime.date.fromisoformat(text)
