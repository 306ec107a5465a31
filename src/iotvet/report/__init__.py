"""Output formats: a finished Report in, a document (JSON, table, HTML, SBOM, …) out.

Each format is one module of this package that defines ``FORMAT`` (an ``OutputFormat``);
``report.registry`` discovers them, so adding a format means adding a module.
"""
