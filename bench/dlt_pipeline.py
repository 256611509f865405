"""The peer: dlt's ``rest_api`` source mirroring the simulator's orders into PostgreSQL.

Run by ``bench/dlt_peer.py`` with the interpreter of ``bench/.venv-dlt`` (dlt is never a
korsync dependency). Usage: ``dlt_pipeline.py BASE_URL TOKEN POSTGRES_URL PIPELINES_DIR``.
Page-number paginator, incremental ``createdAt`` cursor sent as ``createdAt[after]``, merge on
``id``; dlt's normaliser puts ``items`` (and their ``tickets``) in child tables.
"""

from __future__ import annotations

import sys

import dlt
from dlt.sources.rest_api import rest_api_source


def main() -> None:
    base_url, token, postgres_url, pipelines_dir = sys.argv[1:5]
    source = rest_api_source(
        {
            "client": {
                "base_url": base_url,
                "auth": {"type": "bearer", "token": token},
                "paginator": {
                    "type": "page_number",
                    "base_page": 1,
                    "page_param": "page",
                    "total_path": None,
                    "stop_after_empty_page": True,
                },
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
            "resources": [
                {
                    "name": "orders",
                    "endpoint": {
                        "path": "v1/booking/orders",
                        "data_selector": "member",
                        "params": {
                            "itemsPerPage": 50,
                            "order[createdAt]": "asc",
                            "createdAt[after]": {
                                "type": "incremental",
                                "cursor_path": "createdAt",
                                "initial_value": "2000-01-01T00:00:00+00:00",
                            },
                        },
                    },
                }
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_dlt",
        pipelines_dir=pipelines_dir,
        destination=dlt.destinations.postgres(postgres_url),
        dataset_name="korus",
    )
    info = pipeline.run(source)
    print(info)


if __name__ == "__main__":
    main()
