//! A keychain that never answers times out with a clear message.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use super::*;
use crate::support::*;

/// A private D-Bus session bus (`dbus-daemon` in a process group of its own) on which the
/// Secret Service is activatable but never starts: its service file runs a script that records
/// its pid and sleeps. Dropping it kills the whole group, the activated script included.
#[cfg(target_os = "linux")]
struct HangingBus {
    daemon: Child,
    address: String,
    /// The file the activated "Secret Service" writes its pid to.
    pid_file: std::path::PathBuf,
}

#[cfg(target_os = "linux")]
impl HangingBus {
    fn start(dir: &std::path::Path) -> Self {
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::process::CommandExt;

        let services = dir.join("services");
        std::fs::create_dir(&services).unwrap();
        let script = dir.join("hanging-secret-service.sh");
        let pid_file = dir.join("hanging-secret-service.pid");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho $$ > '{}'\nexec sleep 600\n",
                pid_file.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(
            services.join("org.freedesktop.secrets.service"),
            format!(
                "[D-BUS Service]\nName=org.freedesktop.secrets\nExec={}\n",
                script.display()
            ),
        )
        .unwrap();
        let config = dir.join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="service_start_timeout">600000</limit>
</busconfig>
"#,
                dir = dir.display(),
                services = services.display()
            ),
        )
        .unwrap();
        let mut daemon = StdCommand::new("dbus-daemon")
            .arg("--nofork")
            .arg("--print-address")
            .arg(format!("--config-file={}", config.display()))
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed {address:?}"
        );
        Self {
            daemon,
            address,
            pid_file,
        }
    }

    /// The pid of the activated, hanging "Secret Service", once it started.
    fn activated_pid(&self) -> Option<u32> {
        std::fs::read_to_string(&self.pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }
}

#[cfg(target_os = "linux")]
impl Drop for HangingBus {
    fn drop(&mut self) {
        let group = format!("-{}", self.daemon.id());
        let _ = StdCommand::new("kill")
            .args(["-KILL", "--", &group])
            .status();
        let _ = self.daemon.wait();
    }
}

/// Whether a process is still running (a zombie waiting for its reaper is not).
#[cfg(target_os = "linux")]
fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(") ")?.1.chars().next()?;
            Some(state != 'Z' && state != 'X')
        })
        .unwrap_or(false)
}

#[cfg(target_os = "linux")]
#[cfg_attr(
    not(feature = "real-peers"),
    ignore = "needs the real peers (gnome-keyring, oidc-provider): run scripts/test"
)]
#[test]
fn a_hanging_keychain_times_out_with_a_clear_message() {
    if StdCommand::new("dbus-daemon")
        .arg("--version")
        .output()
        .is_err()
    {
        skip_or_fail::<()>("dbus-daemon");
        return;
    }
    let Some(peer) = Peer::start() else { return };
    let sb = peer.sandbox();
    let bus = HangingBus::start(sb.dir.path());

    let started = Instant::now();
    let out = finish(spawn(
        sb.std_cmd()
            .args([
                "link",
                "local-basic",
                "--client-id",
                "basic-client",
                "--client-secret-stdin",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("CREDLINK_KEYCHAIN_TIMEOUT", "2"),
        &format!("{BASIC_SECRET}\n"),
    ));
    let elapsed = started.elapsed();
    assert_exit(&out, 5);
    assert_has(&stderr(&out), "the OS keychain did not answer within 2 s");
    assert_has(&stderr(&out), "hint: unlock your login keyring");
    assert_lacks(&stderr(&out), BASIC_SECRET, "stderr");
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(10),
        "took {elapsed:?}"
    );
    let hanging = bus
        .activated_pid()
        .expect("the bus activated the hanging Secret Service: that is what credlink waited for");
    assert!(is_running(hanging), "the Secret Service still hangs");
    assert!(!sb.index_path().exists(), "no index file");
    assert_eq!(
        peer.requests(),
        Vec::<String>::new(),
        "the keychain is checked before anything is sent"
    );

    drop(bus);
    let deadline = Instant::now() + Duration::from_secs(5);
    while is_running(hanging) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !is_running(hanging),
        "the hanging Secret Service (pid {hanging}) was killed with its bus"
    );
    println!("a hanging keychain: exit 5 after {elapsed:.1?}");
}
