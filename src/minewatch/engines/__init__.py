"""Execution engines for the detectors. DuckDB is the default and lives with each detector; this
package holds the others (Apache Spark: :mod:`.spark_meters`), which reuse the detectors' own
stages so that every engine gives the same results (checked in tests/test_engines_meters.py)."""
