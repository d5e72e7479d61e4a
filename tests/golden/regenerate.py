"""Rewrite the golden records from the engine as it is now.

    python tests/golden/regenerate.py

Only for a change of results that is intended; the commit that changes the
records says why the results changed.
"""

import sys
import tempfile
from pathlib import Path

# Run as a script, Python puts this folder on the path, not the project root
# that the records' module is imported from.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.golden.records import PROJECT, produce_records, stored_path


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        records = produce_records(Path(work))
    for scenario, files in records.items():
        for name, content in files.items():
            path = stored_path(scenario, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            changed = not path.exists() or path.read_bytes() != content
            path.write_bytes(content)
            print(f"{'changed' if changed else 'same   '}  {path.relative_to(PROJECT)}  ({len(content):,} bytes)")


if __name__ == "__main__":
    main()
