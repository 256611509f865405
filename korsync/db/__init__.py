"""The database: engines (``engine``), the schema's revision (``migrate``), writing pages of rows
(``upsert``), JSON as the databases take it (``json_text``), reader roles and schema docs."""
