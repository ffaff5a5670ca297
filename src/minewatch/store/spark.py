"""Apache Spark for province-scale jobs: a session bound to this machine (loopback only, no UI)
for `local[N]`, or a cluster master URL. Detectors written once run here and on DuckDB."""

from __future__ import annotations

import os
import sys

DEFAULT_MASTER = "local[2]"


def spark_session(master: str | None = None, app: str = "minewatch", shuffle_partitions: int = 8):
    """A SparkSession. For `local[...]` everything binds to 127.0.0.1 and the web UI is off, so
    nothing listens beyond loopback; a cluster URL uses the cluster's own settings."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:   # the extra is optional on small deployments
        raise RuntimeError("the Spark engine needs pyspark: pip install 'minewatch[spark]'") from e
    master = master or os.environ.get("MINEWATCH_SPARK_MASTER") or DEFAULT_MASTER
    b = (SparkSession.builder.master(master).appName(app)
         .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    if master.startswith("local"):
        # Python workers run this interpreter (the one minewatch is installed in), not `python3`
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        b = (b.config("spark.ui.enabled", "false")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1"))
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
