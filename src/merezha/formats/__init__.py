"""Readers and writers of the exchange file formats: rows in, rows out, no models.

`open_table(path)` detects CSV, XLSX, DBF or JSON from the content and yields rows as
dictionaries of stripped strings keyed by lower-case column name, each with its line number.
"""

from merezha.formats.errors import FormatError
from merezha.formats.readers import Table, open_table, source_name

__all__ = ["FormatError", "Table", "open_table", "source_name"]
