//! Property tests (proptest) of everything that reads untrusted text, and their harness: the
//! connectors file (`catalog`), token, error and verification answers from a provider
//! (`answers`), URL templates and the values put in them (`templates`), and terminal cleaning
//! and secret redaction (`text`).
//!
//! `cargo test` runs each property on `PROPTEST_CASES` generated inputs (proptest's default,
//! 256), which keeps every test to a few seconds in a debug build. `scripts/fuzz` runs the same
//! properties in a release build with many more cases. A failing input is shrunk and printed,
//! and its seed is saved next to the other seeds of its file, in
//! `proptest-regressions/testing/<file>.txt` (proptest's default `SourceParallel` persistence,
//! keyed by the file that calls [`property`]), which every later run replays first: commit that
//! file with the fix, and keep a plain regression test next to the property. Bugs found so far
//! are kept as plain `#[test]`s at the end of each file.

mod answers;
mod architecture;
mod catalog;
mod templates;
mod text;

use std::cell::Cell;
use std::fmt::Debug;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed, TestRunner};

// ---- the harness ----

/// Cases per runner: a long run is split so that `FUZZ_SECONDS` can end it between chunks.
const CHUNK: u32 = 4096;

/// Runs the property `test` on `PROPTEST_CASES` inputs (at most `FUZZ_SECONDS` per property
/// when that is set), then prints one `property-stats` line for `scripts/fuzz`. `test` returns
/// whether the input got past the first rejection (a catalog that loads, a URL that renders),
/// to show how deep the generated inputs reach. Failures are persisted per calling file.
#[track_caller]
fn property<S>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<bool, TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    let base = Config {
        // The file of the test that calls this, so that each file keeps its own seeds.
        source_file: Some(std::panic::Location::caller().file()),
        ..Config::default()
    };
    let budget = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .map(Duration::from_secs_f64);
    let started = Instant::now();
    let executions = Cell::new(0u64);
    let accepted = Cell::new(0u64);
    let mut cases = 0u32;
    let mut chunk_index = 0u64;
    while cases < base.cases {
        let chunk = (base.cases - cases).min(CHUNK);
        let rng_seed = match base.rng_seed {
            // A fixed PROPTEST_RNG_SEED must not repeat the same inputs in every chunk.
            RngSeed::Fixed(seed) => RngSeed::Fixed(seed.wrapping_add(chunk_index)),
            RngSeed::Random => RngSeed::Random,
        };
        let mut runner = TestRunner::new(Config {
            cases: chunk,
            rng_seed,
            ..base.clone()
        });
        let result = runner.run(&strategy, |input| {
            executions.set(executions.get() + 1);
            let deep = test(input)?;
            accepted.set(accepted.get() + u64::from(deep));
            Ok(())
        });
        if let Err(e) = result {
            panic!("property test {name} failed after {cases} cases: {e}");
        }
        cases += chunk;
        chunk_index += 1;
        if budget.is_some_and(|b| started.elapsed() >= b) {
            break;
        }
    }
    eprintln!(
        "property-stats target={name} cases={cases} executions={} accepted={} seconds={:.2}",
        executions.get(),
        accepted.get(),
        started.elapsed().as_secs_f64()
    );
}

// ---- shared generators ----

/// Pieces that make generated text interesting: escape sequences, bidi overrides, HTML
/// markers, and the markers that `answers` replaces by the secret in one of its spellings
/// (U+F0000 to U+F0003, private-use characters elsewhere).
const PIECES: &[&str] = &[
    "client_secret=",
    "\u{F0000}",
    "\u{F0001}",
    "\u{F0002}",
    "\u{F0003}",
    "\u{1b}[2J",
    "\u{1b}]0;title\u{7}",
    "\r\n",
    "\t",
    "\u{0}",
    "\u{7f}",
    "\u{9b}31m",
    "\u{85}",
    "\u{202e}",
    "\u{2066}",
    "\u{200f}",
    "\u{ad}",
    "\u{34f}",
    "\u{e0041}",
    "<title>",
    "</title>",
    "<html>",
    "<body>",
    "access_token",
    " ",
    "…",
    "é",
    "😀",
    "%",
    "(redacted)",
    "\"",
    "\\",
];

/// Text from elsewhere: printable, anything, the [`PIECES`] mixed with printable text, or one
/// piece repeated past every length limit.
fn untrusted_text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "\\PC{0,24}",
        2 => any::<String>(),
        4 => prop::collection::vec(
            prop_oneof![select(PIECES).prop_map(str::to_owned), "\\PC{0,8}"],
            0..8
        )
        .prop_map(|p| p.concat()),
        1 => (select(&["x", "é", "\u{1b}[31m", "\u{F0000}", "ab\u{F0001}"][..]), 0usize..400)
            .prop_map(|(s, n)| s.repeat(n)),
    ]
    .boxed()
}

fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
