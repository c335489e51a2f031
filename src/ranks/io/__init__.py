"""Writing run directories: atomic directories, Parquet tables, manifests."""
