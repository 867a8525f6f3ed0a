//! Misuses of the derives fail to compile with a clear message at the right place. The expected
//! messages are the committed `tests/ui/*.stderr` files; after a deliberate change to a
//! message, regenerate them with `TRYBUILD=overwrite cargo test -p vitals-derive` and read the
//! diff.

#[test]
fn misuses_are_compile_errors() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
