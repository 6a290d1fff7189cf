# tests/: every tests/{unit,integration}/test_*.c is one Criterion binary,
# every tests/fuzz/fuzz_*.c one libFuzzer target, every tests/bench/bench_*.c
# one benchmark program.
UNIT_TESTS   += $(basename $(sort $(wildcard tests/unit/test_*.c tests/integration/test_*.c)))
FUZZ_TARGETS += $(notdir $(basename $(sort $(wildcard tests/fuzz/fuzz_*.c))))
BENCHES      += $(notdir $(basename $(sort $(wildcard tests/bench/bench_*.c))))

# Helpers shared by several tests (harnesses, comparisons): tests/support/*.c,
# linked into every test binary.
TEST_SUPPORT_SRCS += $(sort $(wildcard tests/support/*.c))
