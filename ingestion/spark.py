"""The local SparkSession that stands in for Glue 5.0 (Spark 3.5), rebuilt when its JVM has died.

One session serves every job of a process (a run lands many files). A job that kills the JVM (out
of memory, a crash) must not break the next one: before handing the session out, its JVM is asked
whether it is alive, and a dead one is torn down and replaced by a fresh one.
"""

from __future__ import annotations

import contextlib
import shutil
import threading

from py4j.protocol import Py4JError
from pyspark import SparkContext
from pyspark.sql import SparkSession


class JavaMissingError(RuntimeError):
    pass


def require_java() -> None:
    if shutil.which("java") is None:
        raise JavaMissingError(
            "Java 17 is needed for the local Spark that stands in for Glue: "
            "install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17)"
        )


_lock = threading.Lock()
_sessions: dict[tuple[str, str], SparkSession] = {}


def session_is_alive(session: SparkSession) -> bool:
    """True when the session's JVM answers and its SparkContext has not been stopped."""
    context = session.sparkContext
    java_context = getattr(context, "_jsc", None)
    if java_context is None:
        return False
    try:
        return not bool(java_context.sc().isStopped())
    except (Py4JError, ConnectionError, OSError):
        return False


def discard_session(session: SparkSession) -> None:
    """Stops ``session`` as far as its JVM still allows and forgets PySpark's handle on that JVM.

    PySpark keeps the gateway to the JVM in class attributes and reuses it for every new context;
    after the JVM died that gateway only refuses connections, so it is dropped and the next session
    launches a new JVM.
    """
    gateway = SparkContext._gateway
    with contextlib.suppress(Py4JError, ConnectionError, OSError):  # a dead JVM has nothing left to stop
        session.stop()
    if gateway is not None:
        process = getattr(gateway, "proc", None)
        with contextlib.suppress(Py4JError, ConnectionError, OSError):
            gateway.shutdown()
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
    SparkContext._gateway = None
    SparkContext._jvm = None
    SparkContext._active_spark_context = None
    SparkSession._instantiatedSession = None
    SparkSession._activeSession = None


def _build_session(master: str, driver_memory: str) -> SparkSession:
    require_java()
    session = (
        SparkSession.builder.master(master)
        .appName("lakehouse-local-glue")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.extraJavaOptions", "-Dderby.system.home=/tmp -Dlog4j2.level=ERROR")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def local_spark_session(master: str = "local[2]", driver_memory: str = "2g") -> SparkSession:
    """The process's live session for ``master``: the cached one, or a new one when its JVM died."""
    with _lock:
        cached = _sessions.get((master, driver_memory))
        if cached is not None and session_is_alive(cached):
            return cached
        for session in _sessions.values():
            discard_session(session)
        _sessions.clear()
        session = _build_session(master, driver_memory)
        _sessions[(master, driver_memory)] = session
        return session
