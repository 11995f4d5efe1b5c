"""A test hook: stop a run at a named point so a test can kill its process exactly there.

Set ``DATAMORPH_TEST_PAUSE_AT=<step>:<phase>`` (e.g. ``validate:start``, ``publish:commit``)
and ``DATAMORPH_TEST_PAUSE_FILE=<path>``. When the process reaches that point it writes the
run id and its process id to the file and sleeps (at most ``DATAMORPH_TEST_PAUSE_SECONDS``,
default 600), so the kill-point tests can SIGKILL it there. Points: ``<step>:start`` (the step
was recorded as started, nothing done yet) and ``<step>:end`` (the step finished and was
recorded, the next one not started) for every step of the workflow, and ``publish:commit``
(inside the publish transaction, just before it commits).

Unset (always, outside tests), :func:`pause` only reads one environment variable.
"""

from __future__ import annotations

import json
import os
import time

PAUSE_AT = "DATAMORPH_TEST_PAUSE_AT"
PAUSE_FILE = "DATAMORPH_TEST_PAUSE_FILE"
PAUSE_SECONDS = "DATAMORPH_TEST_PAUSE_SECONDS"


def pause(point: str, run_id: str | None = None) -> None:
    """Sleep here when ``DATAMORPH_TEST_PAUSE_AT`` names ``point``, after writing the marker file."""
    if os.environ.get(PAUSE_AT) != point:
        return
    marker = os.environ.get(PAUSE_FILE)
    if marker:
        tmp = f"{marker}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump({"point": point, "run_id": run_id, "pid": os.getpid()}, f)
        os.replace(tmp, marker)  # the test sees a complete file or none
    time.sleep(float(os.environ.get(PAUSE_SECONDS) or 600))
