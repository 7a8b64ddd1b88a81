"""The package's dynamic providers, one module per resource (``snapshot``, ``series``,
``schedule``), and the engine glue they share (``common``, ``rollback``).

State pickles each provider class by reference, by its module path: see
docs/architecture.md before moving or renaming one."""
