"""The sync engine: one module per stream (what to fetch, how an item becomes rows) and the
runner that commits each page's rows together with the state that covers them."""
