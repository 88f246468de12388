"""Exit 0 when the PostgreSQL and Redis the tests would use answer, 1 otherwise."""

from __future__ import annotations

import os
import sys

PG_ADMIN_URL = os.environ.get("LANET_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("LANET_TEST_REDIS", "redis://127.0.0.1:6379/0")


def postgres_ok() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def redis_ok() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping())
    except redis.RedisError:
        return False


def main() -> int:
    pg, rd = postgres_ok(), redis_ok()
    print(f"PostgreSQL: {'up' if pg else 'down'}  Redis: {'up' if rd else 'down'}")
    return 0 if pg and rd else 1


if __name__ == "__main__":
    sys.exit(main())
