//! Fault injection for the crash-consistency tests: built only with the `fault-injection`
//! feature (scripts/test enables it). `CREDLINK_FAULT=pause@POINT` stops the process at that
//! point so a test can kill it there, or let it go on by creating the file named by
//! `CREDLINK_FAULT_RESUME` (to interleave another command at that point);
//! `CREDLINK_FAULT=panic@POINT` panics there.

#[cfg(feature = "fault-injection")]
pub(crate) fn point(name: &str) {
    let Ok(spec) = std::env::var("CREDLINK_FAULT") else {
        return;
    };
    match spec.split_once('@') {
        Some(("pause", at)) if at == name => {
            eprintln!("FAULT: paused at {name}");
            let resume = std::env::var_os("CREDLINK_FAULT_RESUME").map(std::path::PathBuf::from);
            let until = std::time::Instant::now() + std::time::Duration::from_secs(600);
            while std::time::Instant::now() < until {
                if resume.as_ref().is_some_and(|flag| flag.exists()) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        Some(("panic", at)) if at == name => panic!("FAULT: injected panic at {name}"),
        _ => {}
    }
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn point(_name: &str) {}
