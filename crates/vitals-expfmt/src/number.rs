//! Number formatting, written by hand because it decides conformance: Go's `%g`
//! (`strconv.FormatFloat(v, 'g', -1, 64)`), which client_golang writes and Prometheus reads
//! back, and OpenMetrics' canonical form for `le` and `quantile` values.

use std::io::Write as _;

/// Appends `v` as Go's `strconv.FormatFloat(v, 'g', -1, 64)` does: the shortest digits that
/// round-trip, in exponent form when the exponent is below -4 or at least 6, with `+Inf`,
/// `-Inf` and `NaN` spelled as Prometheus spells them.
///
/// ```
/// let mut out = Vec::new();
/// for v in [1.0, 0.25, 1e-5, 1e6, 123456.0, f64::INFINITY, -0.0001] {
///     vitals_expfmt::number::write_go_float(&mut out, v);
///     out.push(b' ');
/// }
/// assert_eq!(String::from_utf8(out).unwrap(), "1 0.25 1e-05 1e+06 123456 +Inf -0.0001 ");
/// ```
pub fn write_go_float(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // Rust's `{:e}` yields the shortest round-tripping digits, as Go's shortest mode does
    // ("1.2345e-7"); only the layout differs, so take the digits and the exponent from it.
    let mut scratch = [0u8; 40];
    let len = {
        let mut cursor = std::io::Cursor::new(&mut scratch[..]);
        if write!(cursor, "{:e}", v.abs()).is_err() {
            return;
        }
        usize::try_from(cursor.position()).unwrap_or(0)
    };
    let text = &scratch[..len];
    let Some(e_at) = text.iter().position(|&b| b == b'e') else {
        return;
    };
    let (mantissa, exponent) = (&text[..e_at], &text[e_at + 1..]);
    let mut digits = [0u8; 20];
    let mut nd = 0usize;
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        if let Some(slot) = digits.get_mut(nd) {
            *slot = b;
            nd += 1;
        }
    }
    let exp: i32 = std::str::from_utf8(exponent)
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let digits = &digits[..nd];

    if v < 0.0 {
        out.push(b'-');
    }
    // Go switches to exponent form below 1e-4 and from 1e6 on (precision 6 in shortest mode).
    if !(-4..6).contains(&exp) {
        out.push(digits[0]);
        if nd > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let abs = exp.unsigned_abs();
        if abs < 10 {
            out.push(b'0');
        }
        write_u64(out, u64::from(abs));
    } else {
        // Fixed notation: the decimal point sits after `dp` digits.
        let dp = exp + 1;
        if dp <= 0 {
            out.extend_from_slice(b"0.");
            for _ in dp..0 {
                out.push(b'0');
            }
            out.extend_from_slice(digits);
        } else {
            let dp = usize::try_from(dp).unwrap_or(0);
            for i in 0..dp {
                out.push(digits.get(i).copied().unwrap_or(b'0'));
            }
            if nd > dp {
                out.push(b'.');
                out.extend_from_slice(&digits[dp..]);
            }
        }
    }
}

/// Appends `v` in OpenMetrics' canonical form for `le` and `quantile` label values: Go's `%g`
/// with `.0` appended when it has neither a point nor an exponent (`1.0`, `0.25`, `1e-05`,
/// `+Inf`).
///
/// ```
/// let mut out = Vec::new();
/// vitals_expfmt::number::write_canonical_float(&mut out, 1.0);
/// assert_eq!(out, b"1.0");
/// ```
pub fn write_canonical_float(out: &mut Vec<u8>, v: f64) {
    let start = out.len();
    write_go_float(out, v);
    let written = &out[start..];
    let plain = written.iter().all(|b| b.is_ascii_digit() || *b == b'-');
    if plain {
        out.extend_from_slice(b".0");
    }
}

/// The two digits of every number below 100, `00` to `99`.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends an unsigned integer exactly.
///
/// ```
/// let mut out = b"total ".to_vec();
/// vitals_expfmt::number::write_u64(&mut out, 1_234_567);
/// assert_eq!(out, b"total 1234567");
/// ```
///
/// Every counter sample of every scrape goes through here, so by hand rather than `itoa`:
/// `itoa` right-aligns the digits in a buffer of its own, so appending them is a copy of
/// variable length, a call to `memcpy`. Here 20 bytes are appended (constant stores, no call),
/// the digits written over their start, and the rest cut off. Writing them into an array
/// first and appending that measured slower: the copy's wide load of bytes just stored two at
/// a time stalls.
#[inline]
pub fn write_u64(out: &mut Vec<u8>, v: u64) {
    let start = out.len();
    out.extend_from_slice(&[b'0'; 20]);
    let len = out
        .get_mut(start..)
        .and_then(|to| to.first_chunk_mut())
        .map_or(0, |to| digits(to, v));
    out.truncate(start + len);
}

/// Appends `}` (when `braced`, closing a label set), a space, `v` and a newline: the end of a
/// sample line of an integer value, which is most lines of most scrapes. As [`write_u64`],
/// but the bytes around the digits go in the same append: one capacity check for the line's
/// end rather than three.
#[inline]
pub(crate) fn write_u64_line_end(out: &mut Vec<u8>, braced: bool, v: u64) {
    let start = out.len();
    out.extend_from_slice(&[b'0'; 24]);
    let Some(end) = out
        .get_mut(start..)
        .and_then(|to| to.first_chunk_mut::<24>())
    else {
        return;
    };
    end[0] = b'}';
    let at = usize::from(braced);
    end[at] = b' ';
    let len = end
        .get_mut(at + 1..)
        .and_then(|to| to.first_chunk_mut())
        .map_or(0, |to| digits(to, v));
    let line = at + 1 + len;
    end[line] = b'\n';
    out.truncate(start + line + 1);
}

/// Writes `v`'s digits at the start of `to`, two at a time from the right; returns how many.
#[inline]
fn digits(to: &mut [u8; 20], v: u64) -> usize {
    let len = v.checked_ilog10().map_or(1, |log| log as usize + 1);
    let mut end = len;
    let mut rest = v;
    while rest >= 100 {
        let pair = (rest % 100) as usize * 2;
        rest /= 100;
        end -= 2;
        if let (Some(to), Some(from)) = (to.get_mut(end..end + 2), PAIRS.get(pair..pair + 2)) {
            to.copy_from_slice(from);
        }
    }
    if rest >= 10 {
        let pair = rest as usize * 2;
        if let (Some(to), Some(from)) = (to.get_mut(..2), PAIRS.get(pair..pair + 2)) {
            to.copy_from_slice(from);
        }
    } else {
        to[0] = b'0' + rest as u8;
    }
    len
}

/// Appends a signed integer exactly.
///
/// ```
/// let mut out = Vec::new();
/// vitals_expfmt::number::write_i64(&mut out, i64::MIN);
/// assert_eq!(out, b"-9223372036854775808");
/// ```
#[inline]
pub fn write_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_u64(out, v.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(v: f64) -> String {
        let mut out = Vec::new();
        write_go_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn canonical(v: f64) -> String {
        let mut out = Vec::new();
        write_canonical_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    /// Expected strings are what Go 1.22 prints for `strconv.FormatFloat(v, 'g', -1, 64)`.
    #[test]
    fn go_g_table() {
        let table: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (0.5, "0.5"),
            (0.005, "0.005"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000_012_5, "1.25e-05"),
            (100_000.0, "100000"),
            (999_999.0, "999999"),
            (1_000_000.0, "1e+06"),
            (1_234_567.0, "1.234567e+06"),
            (123_456_789.0, "1.23456789e+08"),
            (1.5e300, "1.5e+300"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"),
            (2.5, "2.5"),
            (10.0, "10"),
            (1_700_000_000.5, "1.7000000005e+09"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (v, want) in table {
            assert_eq!(go(*v), *want, "{v:?}");
        }
    }

    #[test]
    fn canonical_table() {
        let table: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (0.25, "0.25"),
            (0.00001, "1e-05"),
            (f64::INFINITY, "+Inf"),
            (-1.0, "-1.0"),
            (0.0, "0.0"),
            (100_000.0, "100000.0"),
            (1e6, "1e+06"),
            (0.99, "0.99"),
        ];
        for (v, want) in table {
            assert_eq!(canonical(*v), *want, "{v:?}");
        }
    }

    /// Every length of integer, and the edges where a digit is added.
    #[test]
    fn integers_are_written_as_std_writes_them() {
        let mut values = vec![0, 1, 9, 10, 11, 99, 100, 101, u64::MAX, u64::MAX - 1];
        for power in 1..20 {
            let p = 10u64.pow(power);
            values.extend([p - 1, p, p + 1]);
        }
        for v in values {
            let mut out = b"x".to_vec();
            write_u64(&mut out, v);
            assert_eq!(out, format!("x{v}").as_bytes(), "{v}");
            // A line's end, after a label set's closing quote or after a bare name, ending
            // exactly at the newline whatever the capacity left.
            for (braced, want) in [(true, format!("x\"}} {v}\n")), (false, format!("x {v}\n"))] {
                let mut out = Vec::with_capacity(2);
                out.extend_from_slice(if braced { b"x\"" } else { b"x" });
                write_u64_line_end(&mut out, braced, v);
                assert_eq!(String::from_utf8(out).unwrap(), want);
            }
            for signed in [v as i64, (v as i64).wrapping_neg(), i64::MIN, i64::MAX] {
                let mut out = Vec::new();
                write_i64(&mut out, signed);
                assert_eq!(out, signed.to_string().as_bytes(), "{signed}");
            }
        }
    }

    proptest::proptest! {
        /// Any integer, as std writes it.
        #[test]
        fn any_integer_is_written_as_std_writes_it(v in proptest::num::u64::ANY, s in proptest::num::i64::ANY) {
            let mut out = Vec::new();
            write_u64(&mut out, v);
            out.push(b' ');
            write_i64(&mut out, s);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), format!("{v} {s}"));
            let mut line = b"a".to_vec();
            write_u64_line_end(&mut line, true, v);
            write_u64_line_end(&mut line, false, v);
            proptest::prop_assert_eq!(String::from_utf8(line).unwrap(), format!("a}} {v}\n {v}\n"));
        }

        /// Whatever the value, the text parses back to exactly the same float.
        #[test]
        fn go_float_round_trips(bits in proptest::num::u64::ANY) {
            let v = f64::from_bits(bits);
            let text = go(v);
            let parsed: f64 = match text.as_str() {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                other => other.parse().unwrap(),
            };
            if v.is_nan() {
                proptest::prop_assert!(parsed.is_nan());
            } else {
                proptest::prop_assert_eq!(parsed.to_bits(), v.to_bits(), "{}", text);
            }
        }
    }
}
