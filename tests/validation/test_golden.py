"""The engine writes, byte for byte, the golden records kept in tests/golden/:
any change that changes results fails here, and says where."""

import csv

import pytest

from tests.golden.records import FILES, PROJECT, REGENERATE_COMMAND, SCENARIOS, produce_records, stored_path


@pytest.fixture(scope="module")
def produced(tmp_path_factory):
    return produce_records(tmp_path_factory.mktemp("golden"))


def first_difference(stored: bytes, produced: bytes) -> str:
    stored_lines = stored.decode(errors="replace").splitlines()
    produced_lines = produced.decode(errors="replace").splitlines()
    pairs = enumerate(zip(stored_lines + [None], produced_lines + [None]), start=1)
    differing = next(((number, old, new) for number, (old, new) in pairs if old != new), None)
    if differing is None:  # same lines, so only the line endings differ
        return "the lines are the same; the line endings differ"
    number, old, new = differing
    where = f"first at line {number}"
    if old is not None and new is not None and stored_lines:
        # A row of a few hundred characters is hard to compare by eye: name the column.
        header, old_fields, new_fields = (next(csv.reader([line])) for line in (stored_lines[0], old, new))
        for column, old_field, new_field in zip(header, old_fields, new_fields):
            if old_field != new_field:
                where += f", column {column!r}: {old_field!r} stored, {new_field!r} now"
                break
    return (f"{where}\n"
            f"  stored: {'(end of file)' if old is None else old}\n"
            f"  now:    {'(end of file)' if new is None else new}")


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_engine_reproduces_the_golden_record(produced, scenario, name):
    path = stored_path(scenario, name)
    relative = path.relative_to(PROJECT)
    if not path.exists():
        pytest.fail(f"{relative} is missing; write the records with `{REGENERATE_COMMAND}`.", pytrace=False)
    advice = (f"If the change of results is intended, rewrite the records with `{REGENERATE_COMMAND}` "
              f"and explain the change in the commit message (tests/README.md).")
    stored = path.read_bytes()
    if stored != produced[scenario][name]:
        pytest.fail(f"{relative} differs from what the engine writes now, "
                    f"{first_difference(stored, produced[scenario][name])}\n{advice}", pytrace=False)
