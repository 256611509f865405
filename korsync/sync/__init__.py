"""The sync engine: one module per stream (what to fetch, and in what order) with a
``<resource>_rows`` module saying how an item becomes rows; the mapping helpers, the page loop
that commits each page's rows together with the state that covers them, and the run that
records it all; backfill/ for re-walking history."""
