"""The tests' PostgreSQL server (shared with the benchmark)."""

from crmxl.db.pgserver import PostgresServer, find_bin, free_port

__all__ = ["PostgresServer", "find_bin", "free_port"]
