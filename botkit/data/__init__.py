"""Market data at rest: Parquet archive, file readers, validation, chunked reading, synthetic data.

Import what you need from the module that defines it (``botkit.data.archive``,
``botkit.data.files``, ``botkit.data.merge``, ``botkit.data.synthetic`` …); this package re-exports
nothing. ``docs/data.md`` describes the layout, the columns and the validation rules.
"""
