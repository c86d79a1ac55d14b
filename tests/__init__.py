"""The whole-stack tests, a package: they import their helpers package-relative
(`from ._kubernetes import ...`), so the import does not depend on pytest's sys.path."""
