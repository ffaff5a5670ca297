"""Meter data in the store: the tables the meter sources write and the power detectors read.

Sources judge nothing: readings are stored as read (UTC instant + the original UTC offset, the
interval they cover), one row per (account, start, interval) — a duplicate reading is never
counted twice and re-ingesting a file adds nothing.
"""

from __future__ import annotations

METER_DDL = """
CREATE TABLE IF NOT EXISTS meter_readings (
    account VARCHAR NOT NULL,        -- 户号
    ts TIMESTAMPTZ NOT NULL,         -- start of the interval, UTC
    utc_offset_min SMALLINT,         -- the reading's own zone (e.g. +480 for China), kept
    interval_s INTEGER NOT NULL,     -- 900, 1800, 3600 or 86400 (daily kWh)
    kwh DOUBLE NOT NULL,
    source VARCHAR,                  -- file it came from
    line BIGINT,                     -- line (CSV) or row (Parquet) in that file, 1-based
    PRIMARY KEY (account, ts, interval_s)
);
CREATE TABLE IF NOT EXISTS meter_accounts (
    account VARCHAR PRIMARY KEY,
    tariff_class VARCHAR,            -- residential | commercial | industrial | agricultural
    contract_kva DOUBLE,
    address VARCHAR,
    business_name VARCHAR,
    region VARCHAR,                  -- administrative region code (e.g. 150102)
    source VARCHAR
);
CREATE TABLE IF NOT EXISTS meter_ingest_log (
    source VARCHAR, kind VARCHAR, rows_read BIGINT, rows_new BIGINT, rows_rejected BIGINT,
    rejects VARCHAR[],               -- 'file:line: reason', the first few
    ingested_at TIMESTAMPTZ DEFAULT current_timestamp
);
"""

TARIFF_CLASSES = ("residential", "commercial", "industrial", "agricultural")
