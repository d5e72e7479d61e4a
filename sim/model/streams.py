"""Named random streams for one replication (common random numbers).

Replication ``r`` of a run with root seed ``s`` owns the seed sequence
``SeedSequence(s, spawn_key=(r,))``; each stream is a child of it keyed by a
stable hash of the stream's name. Per-client streams are blocks with one row
per client and one column per kind of draw (intake, patience, a stage's
duration, dropout, route...): client ``i`` always takes row ``i``, and each
kind of draw has its own column, so:

- a replication can be recomputed alone, on any worker, in any order;
- two scenarios run with the same seed give the same client the same luck,
  and changing one parameter moves only the values that parameter governs.

Columns rather than one stream per kind because seeding a generator costs
about 8 microseconds, a quarter of a replication when each kind had its own.
For a chunk of replications the streams every replication uses are seeded
together (``chunk_of_streams``): numpy's seed sequence worked out for all of
them at once, with the same result, at well under a microsecond each.
"""

from __future__ import annotations

import zlib

import numpy as np


class RandomStreams:
    def __init__(self, seed: int, replication: int, seeded: dict[str, np.ndarray] | None = None):
        """``seeded``: the starting states of some of the streams, by name,
        worked out beforehand (``chunk_of_streams``)."""
        self.seed = seed
        self.replication = replication
        self._generators: dict[str, np.random.Generator] = {}
        self._drawn: dict[str, np.ndarray] = {}
        self._seeded = seeded or {}

    def uniforms(self, name: str, count: int) -> np.ndarray:
        """The first ``count`` uniforms in [0, 1) of stream ``name``.

        Asking again for more extends the same sequence, so the first values
        never depend on how many are asked for.
        """
        drawn = self._drawn.get(name)
        if drawn is None:
            drawn = self._generator(name).random(count)
        elif len(drawn) < count:
            drawn = np.concatenate([drawn, self._generator(name).random(count - len(drawn))])
        else:
            return drawn[:count]
        self._drawn[name] = drawn
        return drawn

    def per_client(self, name: str, kinds: tuple[str, ...], count: int) -> dict[str, np.ndarray]:
        """For each of ``kinds``, one uniform for each of ``count`` clients.

        Rows are filled one client at a time, so client ``i``'s draws never
        depend on how many clients there are.
        """
        block = self.uniforms(name, count * len(kinds)).reshape(count, len(kinds))
        return {kind: block[:, column] for column, kind in enumerate(kinds)}

    def _generator(self, name: str) -> np.random.Generator:
        generator = self._generators.get(name)
        if generator is None:
            state = self._seeded.get(name)
            if state is None:
                seed_sequence = np.random.SeedSequence(self.seed, spawn_key=(self.replication, _key(name)))
            else:
                seed_sequence = _Seeded(state)
            generator = np.random.Generator(np.random.PCG64(seed_sequence))
            self._generators[name] = generator
        return generator


def _key(name: str) -> int:
    return zlib.crc32(name.encode())


def chunk_of_streams(seed: int, first: int, stop: int, names: tuple[str, ...]) -> list[RandomStreams]:
    """The streams of replications ``first`` to ``stop - 1``, those called
    ``names`` seeded for all of them at once (the others, when asked for,
    one at a time as usual). The same numbers as ``RandomStreams`` alone."""
    replications = np.arange(first, stop)
    if stop > _WORD or not names:  # keys of more than one word: numpy's own way
        return [RandomStreams(seed, replication) for replication in range(first, stop)]
    keys = np.column_stack([np.repeat(replications, len(names)), np.tile([_key(name) for name in names],
                                                                           len(replications))])
    states = seed_states(seed, keys).reshape(len(replications), len(names), 4)
    return [RandomStreams(seed, replication, dict(zip(names, states[position])))
            for position, replication in enumerate(range(first, stop))]


class _Seeded(np.random.bit_generator.ISeedSequence):
    """A seed sequence whose state for PCG64 is already worked out."""

    def __init__(self, state: np.ndarray):
        self.state = state

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:
            raise ValueError("seeded for PCG64 only: 4 words of 64 bits")
        return self.state


# numpy's SeedSequence (numpy/random/bit_generator.pyx), for many spawn keys
# at once: its entropy pool of four 32-bit words, mixed with hashes whose
# constants change at every use, then hashed out to the state's words.
_WORD = 2 ** 32
_POOL_SIZE = 4
_INIT_A, _MULT_A = np.uint32(0x43B0D7E5), np.uint32(0x931E8875)
_INIT_B, _MULT_B = np.uint32(0x8B51F9DD), np.uint32(0x58F38DED)
_MIX_MULT_L, _MIX_MULT_R = np.uint32(0xCA01F9DD), np.uint32(0x4973F715)
_XSHIFT = np.uint32(16)


def seed_states(seed: int, spawn_keys: np.ndarray) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=row).generate_state(4, np.uint64)`` for
    each row of ``spawn_keys`` (every entry below 2**32), [row, word]."""
    if seed < 0:
        raise ValueError(f"expected a seed of 0 or more, got {seed}")  # as numpy says it
    run_words = []
    while True:  # the seed as 32-bit words, lowest first (at least one)
        run_words.append(seed % _WORD)
        seed //= _WORD
        if seed == 0:
            break
    run_words += [0] * (_POOL_SIZE - len(run_words))  # padded when a spawn key follows
    rows = len(spawn_keys)
    entropy = [np.full(rows, word, dtype=np.uint32) for word in run_words]
    entropy += [column.astype(np.uint32) for column in np.asarray(spawn_keys).T]
    hash_constant = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_constant
        value = value ^ hash_constant
        hash_constant = hash_constant * _MULT_A
        value = value * hash_constant
        return value ^ (value >> _XSHIFT)

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = _MIX_MULT_L * x - _MIX_MULT_R * y
        return result ^ (result >> _XSHIFT)

    with np.errstate(over="ignore"):  # arithmetic modulo 2**32, as intended
        pool = [hashmix(entropy[index]) for index in range(_POOL_SIZE)]
        for source in range(_POOL_SIZE):
            for destination in range(_POOL_SIZE):
                if source != destination:
                    pool[destination] = mix(pool[destination], hashmix(pool[source]))
        for source in range(_POOL_SIZE, len(entropy)):
            for destination in range(_POOL_SIZE):
                pool[destination] = mix(pool[destination], hashmix(entropy[source]))
        hash_constant = _INIT_B
        state = np.empty((rows, 8), dtype=np.uint32)
        for word in range(8):
            value = pool[word % _POOL_SIZE] ^ hash_constant
            hash_constant = hash_constant * _MULT_B
            value = value * hash_constant
            state[:, word] = value ^ (value >> _XSHIFT)
    return state.astype("<u4").view("<u8")  # two 32-bit words to one of 64, lower first
