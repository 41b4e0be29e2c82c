"""The suite itself keeps the house rule "tests write under tmp_path only".

A fixed path such as /tmp/map.png is shared by every run on the machine: parallel runs
overwrite each other's files and a run leaves litter behind. Paths are found as string
constants in the test sources, so the check costs no run of the tests it reads.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FIXED_SCRATCH = re.compile(r"^(/tmp|/var/tmp|/dev/shm|~)(/|$)")


def fixed_scratch_paths(source: Path) -> list[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    return [
        f"{source.relative_to(TESTS)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and FIXED_SCRATCH.match(node.value)
    ]


def test_no_test_names_a_fixed_scratch_path() -> None:
    found = [hit for source in sorted(TESTS.rglob("*.py")) for hit in fixed_scratch_paths(source)]
    assert found == [], "write under tmp_path instead:\n" + "\n".join(found)
