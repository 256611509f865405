"""Orders written by PostgreSQL from the page's JSON: the rows ``order_rows`` would build, built by
the server, for the orders whose every value is plainly readable.

A page of orders goes to the server as one JSON document twice: ``unclean`` names the orders
with a value outside the plain forms below, which ``order_rows`` maps in Python as ever (they
may be partial or rejected, with the notes only it writes), and ``write`` upserts the others'
rows in one statement: catalog, product and document placeholders, the order, its items and
their tickets, with stale items and tickets pruned. The plain forms are a strict subset of what
``values`` reads, chosen so that both give the same column value: ids in the standard UUID form,
references as plain paths ending in a UUID (products and events in the documented catalogue
shape), amounts and dates as strings, quantities as JSON integers, date-times with an offset,
text as strings. Anything else, and a page the server refuses (a 30 February) or cannot write
in one statement (an id twice), is mapped in Python. The columns, fields and readers come from
``order_rows``; ``tests/sync/test_order_sql.py`` holds the two paths equal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Table
from sqlalchemy.orm import Session

from korsync.db.upsert import UpsertResult, pg_json, pg_on_conflict, refusal
from korsync.models import metadata
from korsync.models.types import pg_type
from korsync.pii import HASH_PREFIX
from korsync.sync import order_rows as o
from korsync.sync import values as v

# PostgreSQL's regular expressions take microseconds (tens on a path with two UUIDs) where
# they repeat or alternate: ids and paths are checked with LIKE and character classes instead.
UUID_SHAPE = "________-____-____-____-____________"
CATALOG = "/v1/ticketing/catalogs/"  # the documented shape of products and events
TIMESTAMP_FORM = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
DATE_FORM = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
MONEY_FORM = r"^-?[0-9]{1,10}(\.[0-9]{1,2})?$"
INTEGER_FORM = r"^-?[0-9]{1,9}$"  # within 32 bits whatever the digits


def _field(obj: str, field: str) -> str:
    return f"{obj}->'{field}'"


def _text(obj: str, field: str) -> str:
    return f"({obj}->>'{field}')"


def _scalar(value: str) -> str:
    """A JSON string's text."""
    return f"({value} #>> '{{}}')"


def _typeof(value: str) -> str:
    """The JSON type of ``value``, ``'null'`` for an absent field too."""
    return f"coalesce(jsonb_typeof({value}), 'null')"


def _list(value: str) -> str:
    """``value`` when it is an array, else NULL (no elements)."""
    return f"CASE WHEN jsonb_typeof({value}) = 'array' THEN {value} END"


@dataclasses.dataclass(frozen=True)
class Rule:
    """How a reader of ``values`` reads a plain value: its JSON ``kind``, a ``form`` its text
    ``{t}`` has, and the SQL ``cast`` of that text to the column's value."""

    kind: str
    form: str = "true"
    cast: str = "{t}"


RULES: dict[Callable[..., Any], Rule] = {
    v.text: Rule("string"),
    v.key_text: Rule("string", f"char_length({{t}}) <= {v.MAX_KEY_TEXT}"),
    # Years 2 to 9998: within MIN_TIMESTAMP and MAX_TIMESTAMP whatever the offset.
    v.timestamp: Rule(
        "string",
        f"{{t}} ~ '{TIMESTAMP_FORM}' AND substr({{t}}, 1, 4) BETWEEN '0002' AND '9998'",
        "CAST({t} AS timestamptz)",
    ),
    v.date: Rule(
        "string", f"{{t}} ~ '{DATE_FORM}' AND substr({{t}}, 1, 4) <> '0000'", "CAST({t} AS date)"
    ),
    v.money: Rule("string", f"{{t}} ~ '{MONEY_FORM}'", "CAST({t} AS numeric)"),
    v.integer: Rule("number", f"{{t}} ~ '{INTEGER_FORM}'", "CAST({t} AS integer)"),
    v.boolean: Rule("boolean", cast="CAST({t} AS boolean)"),
}


def _plain(obj: str, field: str, rule: Rule) -> str:
    """``obj.field`` is absent, null, or a plain value of ``rule``."""
    value, check = _field(obj, field), rule.form.replace("{t}", _text(obj, field))
    return f"({_typeof(value)} = 'null' OR (jsonb_typeof({value}) = '{rule.kind}' AND {check}))"


def _plain_columns(obj: str, columns: o.Columns) -> list[str]:
    return [_plain(obj, field, RULES[read]) for _, read, field in columns]


def _read_columns(obj: str, columns: o.Columns) -> dict[str, str]:
    return {
        name: RULES[read].cast.replace("{t}", _text(obj, field)) for name, read, field in columns
    }


def _uuid(text: str) -> str:
    """``text`` is a UUID in the standard form (hyphens where the shape has them, hex else)."""
    return f"({text} LIKE '{UUID_SHAPE}' AND {text} !~ '[^0-9a-fA-F-]')"


def _path(text: str) -> str:
    """``text`` is a plain path (no scheme, host, query or fragment) whose last segment is a
    UUID: the id ``jsonld.iri_id`` reads, taken by ``_path_id``."""
    return (
        f"(left({text}, 1) = '/' AND substr({text}, length({text}) - 36, 1) = '/' "
        f"AND {text} NOT LIKE '%%//%%' AND {text} !~ '[^A-Za-z0-9_.~/-]' "
        f"AND {_uuid(f'right({text}, 36)')})"
    )


def _path_id(text: str) -> str:
    return f"CAST(right({text}, 36) AS uuid)"


def _in_catalog(text: str, collection: str) -> str:
    """``text`` is ``/v1/ticketing/catalogs/{uuid}/{collection}/{uuid}``."""
    middle = f"/{collection}/"
    return (
        f"(length({text}) = {len(CATALOG) + 72 + len(middle)} AND left({text}, {len(CATALOG)}) = "
        f"'{CATALOG}' AND substr({text}, {len(CATALOG) + 37}, {len(middle)}) = '{middle}' "
        f"AND {_uuid(f'substr({text}, {len(CATALOG) + 1}, 36)')} AND {_uuid(f'right({text}, 36)')})"
    )


def _catalog_id(text: str) -> str:
    """The catalog's id in a path ``_in_catalog`` accepted."""
    return f"CAST(substr({text}, {len(CATALOG) + 1}, 36) AS uuid)"


def _id_plain(obj: str) -> str:
    return f"(jsonb_typeof({_field(obj, 'id')}) = 'string' AND {_uuid(_text(obj, 'id'))})"


def _surely(condition: str) -> str:
    """``condition``, false where it is NULL (an absent field compared): unclean."""
    return f"coalesce(({condition}), false)"


def _beneficiary_plain(b: str) -> str:
    # where the personal-data policy hashed it, NULL (``order_rows._birth_date``)
    hashed = _plain(b, "dateOfBirth", Rule("string", f"starts_with({{t}}, '{HASH_PREFIX}')"))
    return " AND ".join(
        [
            *_plain_columns(b, o.BENEFICIARY_COLUMNS),
            _plain(b, "placeOfBirth", RULES[v.text]),
            f"({_plain(b, 'dateOfBirth', RULES[v.date])} OR {hashed})",
        ]
    )


def _ticket_plain(t: str, b: str) -> str:
    """A ticket ``t`` (its beneficiary ``b``) is plain."""
    return " AND ".join(
        [
            f"jsonb_typeof({t}) = 'object'",
            _id_plain(t),
            _plain(t, "event", Rule("string", _in_catalog("{t}", "events"))),
            *_plain_columns(t, o.TICKET_COLUMNS),
            *_plain_columns(t, o.TICKET_FLAGS),
            # none (not an object, or empty), or a plain one
            f"(jsonb_typeof({b}) IS DISTINCT FROM 'object' OR {b} = '{{}}' "
            f"OR ({_beneficiary_plain(b)}))",
        ]
    )


def _line_plain(line: str) -> str:
    """An item ``line`` is plain, but for its tickets."""
    return " AND ".join(
        [
            f"jsonb_typeof({line}) = 'object'",
            _id_plain(line),
            _plain(line, "product", Rule("string", _in_catalog("{t}", "products"))),
            *_plain_columns(line, o.ITEM_COLUMNS),
            f"{_typeof(_field(line, 'tickets'))} IN ('null', 'array')",
        ]
    )


def _order_plain(order: str, customer: str) -> str:
    """An ``order`` (its ``customer``) is plain, but for its items."""
    documents = _field(order, "documents")
    path = f"jsonb_typeof(d) = 'string' AND {_path(_scalar('d'))}"
    return " AND ".join(
        [
            f"jsonb_typeof({order}) = 'object'",
            _id_plain(order),
            f"jsonb_typeof({_field(order, 'createdAt')}) = 'string'",
            _plain(order, "createdAt", RULES[v.timestamp]),
            *(
                _plain(order, f, Rule("string", _path("{t}")))
                for f in ("catalog", "organization", "reservation")
            ),
            *_plain_columns(order, o.ORDER_COLUMNS),
            f"(jsonb_typeof({customer}) IS DISTINCT FROM 'object' OR "
            f"({' AND '.join(_plain_columns(customer, o.CUSTOMER_COLUMNS))}))",
            f"{_typeof(_field(order, 'items'))} IN ('null', 'array')",
            # a list of paths, or no list (read as none)
            f"(jsonb_typeof({documents}) IS DISTINCT FROM 'array' OR NOT EXISTS (SELECT FROM "
            f"jsonb_array_elements({documents}) AS d(d) WHERE NOT {_surely(path)}))",
        ]
    )


_PAGE = (
    "SELECT CAST(n - 1 AS integer) AS idx, x AS o "
    "FROM jsonb_array_elements(CAST(%(page)s AS jsonb)) WITH ORDINALITY AS e(x, n)"
)


def _elements(alias: str, array: str) -> str:
    """The elements of ``array`` (none unless an array) as ``alias.x``, with their
    ``position``."""
    return (
        f"CROSS JOIN LATERAL (SELECT x, CAST(n - 1 AS integer) AS position FROM "
        f"jsonb_array_elements({_list(array)}) WITH ORDINALITY AS e(x, n)) AS {alias}"
    )


def encode(items: Sequence[Any]) -> bytes | None:
    """The page's items as the JSON ``write`` reads, or ``None`` when only the Python path can
    store them (what orjson cannot write; NUL characters, which korsync strips in Python)."""
    try:
        encoded = orjson.dumps(items)
    except (orjson.JSONEncodeError, TypeError):
        return None
    return None if b"\\u0000" in encoded else encoded


def write(session: Session, page: bytes, now: dt.datetime) -> tuple[list[int], UpsertResult]:
    """Upsert the rows of the page's plain orders, stamped ``now``. Returns the indexes of the
    others, for ``order_rows``, and the counts of orders, items and tickets, as
    ``rowset.write`` counts them."""
    parameters = {"page": pg_json(page), "now": now}
    (*counts, unclean) = session.connection().exec_driver_sql(_statement(), parameters).one()
    inserted, updated, total = counts[:3], counts[3:6], counts[6:9]
    result = UpsertResult()
    for new, changed, given in zip(inserted, updated, total, strict=True):
        result += UpsertResult(new, changed, given - new - changed)
    return list(unclean), result


def falls_back(error: BaseException) -> bool:
    """Whether ``error``, raised by ``write``, sends the page to the Python path: a value the
    server refused (``refusal``), or an id twice in the page (a cardinality violation)."""
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    return refusal(error) is not None or sqlstate == "21000"


def _table(name: str) -> Table:
    return metadata.tables[name]


def _upsert(name: str, source: str, alias: str) -> str:
    """``alias AS (INSERT … ON CONFLICT … RETURNING inserted)`` of ``name`` from ``source``,
    whose columns are the table's."""
    table = _table(name)
    columns = ", ".join(c.name for c in table.columns)
    return (
        f"{alias} AS (INSERT INTO {name} ({columns}) SELECT {columns} FROM {source} ORDER BY id "
        f"{pg_on_conflict(table, ('synced_at',))} RETURNING (xmax = 0) AS inserted)"
    )


NOW = "CAST(%(now)s AS timestamptz)"


def _order_columns() -> dict[str, str]:
    first_catalog = (
        "(SELECT catalog_id FROM lines WHERE lines.idx = p.idx AND catalog_id IS NOT NULL "
        "ORDER BY position LIMIT 1)"
    )
    return {
        "id": "CAST(p.o->>'id' AS uuid)",
        "catalog_id": f"coalesce({_path_id(_text('p.o', 'catalog'))}, {first_catalog})",
        "organization_id": _path_id(_text("p.o", "organization")),
        "reservation_id": _path_id(_text("p.o", "reservation")),
        "created_at": "CAST(p.o->>'createdAt' AS timestamptz)",
        **_read_columns("p.o", o.ORDER_COLUMNS),
        **_read_columns("p.c", o.CUSTOMER_COLUMNS),
        "raw": "p.o - 'items'",
        "synced_at": NOW,
    }


def _item_columns() -> dict[str, str]:
    return {
        "id": "l.id",
        "order_id": "l.order_id",
        "position": "l.position",
        "product_id": "l.product_id",
        **_read_columns("l.x", o.ITEM_COLUMNS),
        "raw": "l.x - 'tickets'",
        "synced_at": NOW,
    }


def _ticket_columns() -> dict[str, str]:
    required = _field("t.x", "requiredBeneficiaryFields")
    return {
        "id": "CAST(t.x->>'id' AS uuid)",
        "order_id": "t.order_id",
        "order_item_id": "t.item_id",
        "position": "t.position",
        "event_id": "t.event_id",
        **_read_columns("t.x", o.TICKET_COLUMNS),
        "required_beneficiary_fields": _list(required),
        **_read_columns("t.x", o.TICKET_FLAGS),
        **_read_columns("t.b", o.BENEFICIARY_COLUMNS),
        "beneficiary_date_of_birth": f"CASE WHEN NOT starts_with(t.b->>'dateOfBirth', "
        f"'{HASH_PREFIX}') THEN CAST(t.b->>'dateOfBirth' AS date) END",
        "beneficiary_place_of_birth": "t.b->>'placeOfBirth'",
        "raw": "t.x",
        "synced_at": NOW,
    }


@functools.cache
def _statement() -> str:
    """The one statement finding a page's unclean orders and writing the others, returning its
    counts and the unclean orders' indexes. Each object is read out of its parent once (a JSON
    object is copied each time it is read), and the plain forms are checked level by level;
    no value is cast before its order is known to be plain."""
    plain = "idx NOT IN (SELECT idx FROM unclean)"
    ctes = [
        f"parsed AS (SELECT idx, o, o->'customer' AS c FROM ({_PAGE}) AS p)",
        "all_lines AS (SELECT p.idx, l.position, l.x "
        f"FROM parsed AS p {_elements('l', _field('p.o', 'items'))})",
        "all_tickets AS (SELECT l.idx, l.position AS line, t.position, t.x, "
        f"t.x->'beneficiary' AS b FROM all_lines AS l {_elements('t', _field('l.x', 'tickets'))})",
        f"unclean AS (SELECT idx FROM parsed WHERE NOT {_surely(_order_plain('o', 'c'))} "
        f"UNION SELECT idx FROM all_lines WHERE NOT {_surely(_line_plain('x'))} "
        f"UNION SELECT idx FROM all_tickets WHERE NOT {_surely(_ticket_plain('x', 'b'))})",
        f"page AS (SELECT idx, o, c FROM parsed WHERE {plain})",
        "lines AS (SELECT l.idx, CAST(p.o->>'id' AS uuid) AS order_id, l.position, l.x, "
        f"CAST(l.x->>'id' AS uuid) AS id, {_catalog_id(_text('l.x', 'product'))} AS catalog_id, "
        f"{_path_id(_text('l.x', 'product'))} AS product_id "
        f"FROM all_lines AS l JOIN page AS p ON p.idx = l.idx)",
        "tickets AS (SELECT t.idx, t.line, l.order_id, l.id AS item_id, t.position, t.x, t.b, "
        f"{_catalog_id(_text('t.x', 'event'))} AS catalog_id, "
        f"{_path_id(_text('t.x', 'event'))} AS event_id "
        "FROM all_tickets AS t JOIN lines AS l ON l.idx = t.idx AND l.position = t.line)",
        "documents AS (SELECT p.idx, CAST(p.o->>'id' AS uuid) AS order_id, d.position, "
        f"{_path_id(_scalar('d.x'))} AS id "
        f"FROM page AS p {_elements('d', _field('p.o', 'documents'))})",
        f"order_rows AS (SELECT {_source('orders', _order_columns())} FROM page AS p)",
        f"item_rows AS (SELECT {_source('order_items', _item_columns())} FROM lines AS l)",
        f"ticket_rows AS (SELECT {_source('order_item_tickets', _ticket_columns())} "
        "FROM tickets AS t)",
        # Placeholders for the parents named (the last naming wins, as in ``RowSet``).
        "new_catalogs AS (INSERT INTO catalogs (id) SELECT id FROM (SELECT catalog_id FROM "
        "order_rows UNION SELECT catalog_id FROM lines) AS c(id) WHERE id IS NOT NULL "
        "ORDER BY id ON CONFLICT (id) DO NOTHING)",
        "new_products AS (INSERT INTO products (id, catalog_id) SELECT DISTINCT ON (product_id) "
        "product_id, catalog_id FROM lines WHERE product_id IS NOT NULL "
        "ORDER BY product_id, idx DESC, position DESC ON CONFLICT (id) DO NOTHING)",
        "new_events AS (INSERT INTO events (id, catalog_id) SELECT DISTINCT ON (event_id) "
        "event_id, catalog_id FROM tickets WHERE event_id IS NOT NULL "
        "ORDER BY event_id, idx DESC, line DESC, position DESC ON CONFLICT (id) DO NOTHING)",
        "new_documents AS (INSERT INTO order_documents (id, order_id) SELECT DISTINCT ON (id) "
        "id, order_id FROM documents ORDER BY id, idx DESC, position DESC "
        "ON CONFLICT (id) DO NOTHING)",
        # Children of a list sent that are no longer in it (an absent list keeps them).
        # (As arrays: a semi-join planned from the guessed sizes read the whole table.)
        "pruned_items AS (DELETE FROM order_items WHERE order_id = ANY(ARRAY(SELECT "
        "CAST(o->>'id' AS uuid) FROM page WHERE jsonb_typeof(o->'items') = 'array')) "
        "AND id <> ALL(ARRAY(SELECT id FROM lines)))",
        "pruned_tickets AS (DELETE FROM order_item_tickets WHERE order_item_id = ANY(ARRAY("
        "SELECT id FROM lines WHERE jsonb_typeof(x->'tickets') = 'array')) "
        "AND id <> ALL(ARRAY(SELECT id FROM ticket_rows)))",
        _upsert("orders", "order_rows", "upserted_orders"),
        _upsert("order_items", "item_rows", "upserted_items"),
        _upsert("order_item_tickets", "ticket_rows", "upserted_tickets"),
    ]
    sources = {"upserted_orders": "order_rows", "upserted_items": "item_rows"}
    sources["upserted_tickets"] = "ticket_rows"
    counts = [
        *(f"(SELECT count(*) FILTER (WHERE inserted) FROM {alias})" for alias in sources),
        *(f"(SELECT count(*) FILTER (WHERE NOT inserted) FROM {alias})" for alias in sources),
        *(f"(SELECT count(*) FROM {source})" for source in sources.values()),
    ]
    unclean = "ARRAY(SELECT idx FROM unclean ORDER BY idx)"
    return f"WITH {', '.join(ctes)} SELECT {', '.join(counts)}, {unclean}"


def _source(name: str, given: Mapping[str, str]) -> str:
    """Every column of ``name`` in table order, from the ``given`` expressions (else NULL)."""
    return ", ".join(
        f"{given.get(c.name, f'CAST(NULL AS {pg_type(c.type)})')} AS {c.name}"
        for c in _table(name).columns
    )
