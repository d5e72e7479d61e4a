import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.streams import RandomStreams, chunk_of_streams, seed_states


def test_first_values_do_not_depend_on_how_many_are_drawn():
    few = RandomStreams(1, 3).uniforms("intake", 5)
    many = RandomStreams(1, 3).uniforms("intake", 500)
    grown = RandomStreams(1, 3)
    grown.uniforms("intake", 2)
    np.testing.assert_array_equal(few, many[:5])
    np.testing.assert_array_equal(grown.uniforms("intake", 500), many)


def test_streams_differ_by_name_replication_and_seed():
    base = RandomStreams(1, 3).uniforms("intake", 50)
    for other in (RandomStreams(1, 3).uniforms("patience", 50),
                  RandomStreams(1, 4).uniforms("intake", 50),
                  RandomStreams(2, 3).uniforms("intake", 50)):
        assert not np.array_equal(base, other)


def test_replication_seed_follows_the_documented_spawn_key():
    # Anyone can recompute replication 3 from the root seed alone.
    import zlib
    key = (3, zlib.crc32(b"intake"))
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence(1, spawn_key=key))).random(4)
    np.testing.assert_array_equal(RandomStreams(1, 3).uniforms("intake", 4), expected)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**130), st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
                                        min_size=1, max_size=20))
def test_seeding_many_streams_at_once_gives_numpy_seed_sequences_state(seed, keys):
    # Seeds of one to five 32-bit words: numpy pads the seed to its pool of
    # four words only when a spawn key follows, and mixes in any beyond.
    states = seed_states(seed, np.array(keys, dtype=np.uint64))
    for state, key in zip(states, keys):
        expected = np.random.SeedSequence(seed, spawn_key=key).generate_state(4, np.uint64)
        np.testing.assert_array_equal(state, expected)


def test_a_chunks_streams_draw_what_each_replications_own_draws():
    together = chunk_of_streams(11, 5, 9, ("intake", "route"))
    for replication, streams in zip(range(5, 9), together):
        alone = RandomStreams(11, replication)
        for name in ("intake", "route", "not seeded with the chunk"):
            np.testing.assert_array_equal(streams.uniforms(name, 300), alone.uniforms(name, 300))


def test_a_negative_seed_is_refused_as_numpy_refuses_it():
    with pytest.raises(ValueError, match="non-negative"):
        np.random.SeedSequence(-1)
    with pytest.raises(ValueError, match="seed of 0 or more, got -1"):
        chunk_of_streams(-1, 0, 3, ("intake",))
