//! Fault injection for the crash-consistency tests: built only with the `fault-injection`
//! feature (scripts/test enables it). `CREDLINK_FAULT=pause@POINT` stops the process at that
//! point so a test can kill it there; `CREDLINK_FAULT=panic@POINT` panics there.

#[cfg(feature = "fault-injection")]
pub(crate) fn point(name: &str) {
    let Ok(spec) = std::env::var("CREDLINK_FAULT") else {
        return;
    };
    match spec.split_once('@') {
        Some(("pause", at)) if at == name => {
            eprintln!("FAULT: paused at {name}");
            std::thread::sleep(std::time::Duration::from_secs(600));
        }
        Some(("panic", at)) if at == name => panic!("FAULT: injected panic at {name}"),
        _ => {}
    }
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn point(_name: &str) {}
