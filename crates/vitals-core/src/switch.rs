//! The global on/off switch (seed 000's `METRICS_ENABLED`).
//!
//! Off, every registry visits no family, so exporters serve a valid empty exposition
//! (OpenMetrics: just `# EOF`) and the textfile writer and the push client send nothing; the
//! dynamic manager records nothing, and `#[instrument]`ed functions, timers and in-flight
//! guards skip their clock and their updates. Lookups still return handles, so code runs
//! unchanged either way.
//!
//! The switch starts from the environment variable [`ENV_VAR`] the first time it is read:
//! `0`, `false`, `off` or `no` (any case) turn metrics off; anything else, or no variable,
//! leaves them on. [`set_enabled`] overrides it at any time.
//!
//! **Updates on a handle** (`inc`, `set`, `observe`, ...) look at the switch only with the
//! cargo feature `switch` (off by default in the `vitals` facade; on in this crate's defaults
//! for its own tests). Without it an update is its atomic operation and nothing else, and
//! while metrics are off the values still move, unexposed: turned back on, a counter shows
//! every increment since it was made. With it, every update first loads the switch and
//! returns if it is off, and values stay as they were. That check costs about 1 ns per update
//! in a tight loop (on x86 a counter's locked add is a full fence, so the next update's load
//! of the switch waits for it), and skipping an update saves about as much as the check
//! costs, which is why the check is opt-in: what metrics off must stop, the exposition and the
//! work around updates, stops either way.

use std::sync::atomic::{AtomicU8, Ordering};

/// The environment variable read on first use: `METRICS_ENABLED`, as in seeds 000 and 002.
pub const ENV_VAR: &str = "METRICS_ENABLED";

const UNSET: u8 = 0;
const ON: u8 = 1;
const OFF: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(UNSET);

/// Whether metrics are on.
///
/// ```
/// vitals_core::switch::set_enabled(true);
/// assert!(vitals_core::switch::enabled());
/// ```
#[inline]
pub fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        ON => true,
        OFF => false,
        _ => init_from_env(),
    }
}

/// Whether updates on handles record: [`enabled`] with the feature `switch`, always `true`
/// without it (see the [module documentation](self)).
///
/// ```
/// vitals_core::switch::set_enabled(true);
/// assert!(vitals_core::switch::updates_enabled());
/// ```
#[inline(always)]
pub fn updates_enabled() -> bool {
    #[cfg(feature = "switch")]
    {
        enabled()
    }
    #[cfg(not(feature = "switch"))]
    {
        true
    }
}

/// Turns metrics on or off, overriding [`ENV_VAR`].
///
/// ```
/// use vitals_core::{switch, Counter};
/// let jobs = Counter::new();
/// switch::set_enabled(false);
/// // Updates still record while metrics are off, unless built with the feature `switch`.
/// let recorded = switch::updates_enabled();
/// jobs.inc();
/// switch::set_enabled(true);
/// jobs.inc();
/// assert_eq!(jobs.get(), if recorded { 2 } else { 1 });
/// ```
pub fn set_enabled(on: bool) {
    STATE.store(if on { ON } else { OFF }, Ordering::Relaxed);
}

/// Whether `value` (of [`ENV_VAR`]) means off.
fn means_off(value: &str) -> bool {
    ["0", "false", "off", "no"]
        .iter()
        .any(|off| value.trim().eq_ignore_ascii_case(off))
}

#[cold]
fn init_from_env() -> bool {
    let on = !std::env::var(ENV_VAR).is_ok_and(|v| means_off(&v));
    // A concurrent set_enabled wins over the environment.
    let _ = STATE.compare_exchange(
        UNSET,
        if on { ON } else { OFF },
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    STATE.load(Ordering::Relaxed) == ON
}

#[cfg(test)]
mod tests {
    use super::means_off;

    #[test]
    fn values_that_turn_metrics_off() {
        for off in ["0", "false", "FALSE", "Off", "no", " no "] {
            assert!(means_off(off), "{off:?}");
        }
        for on in ["1", "true", "yes", "on", "", "enabled"] {
            assert!(!means_off(on), "{on:?}");
        }
    }
}
