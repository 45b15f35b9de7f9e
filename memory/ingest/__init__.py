"""Ingestion: read user-signal files of every supported format, redact, tag, embed and store them.

Public API: :func:`read_file` / :func:`open_source` (streaming readers), :class:`RawRow`, and
:func:`memory.ingest.pipeline.ingest_files` (the batch pipeline into a workspace's memory).
"""

from .readers import FORMATS, Source, open_source, read_file
from .rows import RawRow

__all__ = ["FORMATS", "RawRow", "Source", "open_source", "read_file"]
