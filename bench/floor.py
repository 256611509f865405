"""The floor to beat: a naive-but-good script mirroring orders into PostgreSQL, written the way
a competent engineer would in an afternoon, with the standard library and psycopg only.

It asks for the first page to learn ``totalItems``, then fetches every page by number
(``order[createdAt]=asc``, 50 a page) on ``--in-flight`` threads, each with its own keep-alive
``http.client`` connection, and writes the pages in order as they arrive: orders, their items
and their tickets as rows with the item's JSON, three batched upserts per page (psycopg's
``executemany``, pipelined), one transaction per page. No retries, no watermark, no pagination
safety: what korsync adds must not cost it the race. Prints one line: orders, seconds, orders/s.

    .venv/bin/python bench/floor.py --api-url URL --token T --database-url URL [--in-flight 6]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

PAGE_SIZE = 50
PATH = "/v1/booking/orders"
SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id uuid PRIMARY KEY, created_at timestamptz, status text, total numeric(12,2), raw jsonb);
CREATE TABLE IF NOT EXISTS order_items (
    id uuid PRIMARY KEY, order_id uuid, total numeric(12,2), raw jsonb);
CREATE TABLE IF NOT EXISTS order_item_tickets (
    id uuid PRIMARY KEY, item_id uuid, status text, raw jsonb);
"""
UPSERT = {
    "orders": "INSERT INTO orders VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
    " created_at = excluded.created_at, status = excluded.status, total = excluded.total,"
    " raw = excluded.raw",
    "order_items": "INSERT INTO order_items VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE"
    " SET order_id = excluded.order_id, total = excluded.total, raw = excluded.raw",
    "order_item_tickets": "INSERT INTO order_item_tickets VALUES (%s, %s, %s, %s) ON CONFLICT"
    " (id) DO UPDATE SET item_id = excluded.item_id, status = excluded.status, raw = excluded.raw",
}


class Api:
    """GET JSON pages over one keep-alive connection per thread."""

    def __init__(self, base_url: str, token: str) -> None:
        self.url = urllib.parse.urlsplit(base_url)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/ld+json"}
        self.local = threading.local()

    def get(self, page: int) -> dict[str, Any]:
        query = urllib.parse.urlencode(
            {"order[createdAt]": "asc", "itemsPerPage": PAGE_SIZE, "page": page}
        )
        connection = getattr(self.local, "connection", None)
        if connection is None:
            host = self.url.hostname or "127.0.0.1"
            connection = http.client.HTTPConnection(host, self.url.port, timeout=60)
            self.local.connection = connection
        connection.request("GET", f"{PATH}?{query}", headers=self.headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"page {page}: HTTP {response.status}")
        result: dict[str, Any] = json.loads(body)
        return result


def _id(value: str) -> str:
    return value.rsplit("/", 1)[-1]


def rows(page: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """The page's orders, items and tickets as rows."""
    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in UPSERT}
    for order in page.get("member", []):
        items = order.get("items") or []
        head = {k: v for k, v in order.items() if k != "items"}
        total = order.get("totalAmountInclTax")
        out["orders"].append(
            (order["id"], order.get("createdAt"), order.get("status"), total, Jsonb(head))
        )
        for item in items:
            tickets = item.get("tickets") or []
            bare = {k: v for k, v in item.items() if k != "tickets"}
            out["order_items"].append(
                (_id(item["id"]), order["id"], item.get("totalAmountInclTax"), Jsonb(bare))
            )
            for ticket in tickets:
                out["order_item_tickets"].append(
                    (_id(ticket["id"]), _id(item["id"]), ticket.get("status"), Jsonb(ticket))
                )
    return out


def pages_in_order(api: Api, in_flight: int) -> Iterator[dict[str, Any]]:
    """Every page, in order, with ``in_flight`` requests under way."""
    first = api.get(1)
    yield first
    count = math.ceil(int(first.get("totalItems", 0)) / PAGE_SIZE)
    with ThreadPoolExecutor(in_flight) as pool:
        pending: list[Future[dict[str, Any]]] = []
        upcoming = iter(range(2, count + 1))
        for number in upcoming:
            pending.append(pool.submit(api.get, number))
            if len(pending) >= in_flight * 2:
                break
        while pending:
            page = pending.pop(0).result()
            following = next(upcoming, None)
            if following is not None:
                pending.append(pool.submit(api.get, following))
            yield page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--in-flight", type=int, default=6)
    args = parser.parse_args()
    began = time.perf_counter()
    api = Api(args.api_url, args.token)
    orders = 0
    with psycopg.connect(args.database_url) as connection:
        connection.execute(SCHEMA)
        connection.commit()
        for page in pages_in_order(api, args.in_flight):
            with connection.cursor() as cursor:
                for table, values in rows(page).items():
                    if values:
                        cursor.executemany(UPSERT[table], values)
                orders += len(page.get("member", []))
            connection.commit()
    wall = time.perf_counter() - began
    print(f"floor: {orders} orders in {wall:.1f}s, {orders / wall:.0f} orders/s")


if __name__ == "__main__":
    main()
