"""Engine glue shared by the package's dynamic providers (one module per resource besides the
snapshot's, which stays in ``sg_snapshot_provider.provider``: every existing stack's state
pickles it by that path)."""
