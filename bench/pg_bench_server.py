"""Start the throw-away PostgreSQL server of the tests (``tests/pg.py``) and print its admin URL.

Usage::

    python bench/pg_bench_server.py      # prints DATAMORPH_PG_URL=postgresql://...; Ctrl-C stops it

Export the printed line for ``bench/pg_bridge.py``. The server (trust authentication, 127.0.0.1
only) and its data directory are removed on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests/pg.py


def main() -> int:
    from tests.pg import start_server

    server = start_server(prefix="dm_bench_pg_")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    try:
        print(f"DATAMORPH_PG_URL={server.url()}", flush=True)
        print("PostgreSQL is running; press Ctrl-C to stop it.", file=sys.stderr, flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
