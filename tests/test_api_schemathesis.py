"""A bounded schemathesis run over the API's OpenAPI schema, against a real server: no server errors.

Besides "no 5xx" it checks that status codes, content types and response bodies match what the
schema documents, that invalid input is rejected, and that the token is not ignored. A request the
planner cannot read is a documented 400 (the schema cannot describe which English it understands),
so schemathesis' "valid input is accepted" check is not run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.api_support import serving

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
])  # fmt: skip


def test_schemathesis_finds_no_server_errors(pristine_warehouse: Path, tmp_path: Path) -> None:
    st = Path(sys.executable).parent / "schemathesis"
    with serving(pristine_warehouse, tmp_path, env={"DATAMORPH_API_TOKEN": "fuzz-token"}) as srv:
        cmd = [str(st), "run", f"{srv.url}/openapi.json", "-H", "Authorization: Bearer fuzz-token",
               "--checks", CHECKS, "--max-examples", "25", "--seed", "20261127", "--generation-database", "none",
               "--request-timeout", "60", "--no-color", "--max-failures", "20"]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    report = proc.stdout[-6000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, report
    m = re.search(r"^\s*(\d+) generated, (\d+) passed", proc.stdout, re.M)
    assert m is not None, report
    generated, passed = int(m.group(1)), int(m.group(2))
    assert passed == generated, report
    assert generated >= 300, report  # it really exercised the API
    assert "Traceback" not in srv.log(), srv.log()
