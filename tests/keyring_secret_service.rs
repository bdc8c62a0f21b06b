//! The AppCode in a real Secret Service (gnome-keyring), as `scripts/test.sh` starts it in a
//! private D-Bus session. Outside that session the test says so and does nothing, because
//! it would otherwise write to the developer's own keyring.

use std::io::Write;
use std::process::{Command, Stdio};

use headcount::secret::{AppCode, Keyring};

const CODE: &str = "feedfacecafebeef0123456789abcdef";

fn in_private_session() -> bool {
    std::env::var_os("HEADCOUNT_TEST_SECRET_SERVICE").is_some()
}

#[test]
fn the_appcode_round_trips_through_the_real_secret_service_and_the_cli() {
    if !in_private_session() {
        eprintln!("skipped: run through scripts/test.sh for a private Secret Service");
        return;
    }
    let keyring = Keyring::native().expect("a Secret Service is running in this session");
    keyring.clear().expect("start empty");
    assert_eq!(keyring.load(), Ok(None));

    let code = AppCode::parse(CODE).expect("valid");
    keyring.save(&code).expect("save");
    assert_eq!(keyring.load(), Ok(Some(code.clone())));
    keyring.clear().expect("clear");
    assert_eq!(keyring.load(), Ok(None));

    // The command line stores from standard input and reports without showing the code.
    let binary = env!("CARGO_BIN_EXE_headcount");
    let mut set = Command::new(binary)
        .args(["--lang", "en", "appcode", "set"])
        .env_remove("HEADCOUNT_APPCODE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run headcount");
    set.stdin
        .take()
        .expect("stdin")
        .write_all(format!("  {CODE}\n").as_bytes())
        .expect("write code");
    let set = set.wait_with_output().expect("wait");
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let said = String::from_utf8_lossy(&set.stdout);
    assert!(said.contains("…cdef") && !said.contains(CODE), "{said}");
    assert_eq!(keyring.load(), Ok(Some(code)));

    let status = Command::new(binary)
        .args(["--lang", "en", "appcode", "status"])
        .env_remove("HEADCOUNT_APPCODE")
        .output()
        .expect("run headcount");
    assert_eq!(status.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&status.stdout).contains(CODE));

    let clear = Command::new(binary)
        .args(["--lang", "en", "appcode", "clear"])
        .env_remove("HEADCOUNT_APPCODE")
        .output()
        .expect("run headcount");
    assert!(clear.status.success());
    assert_eq!(keyring.load(), Ok(None));

    let status = Command::new(binary)
        .args(["--lang", "en", "appcode", "status"])
        .env_remove("HEADCOUNT_APPCODE")
        .output()
        .expect("run headcount");
    assert_eq!(status.status.code(), Some(1), "none stored is exit 1");
}

#[test]
fn without_a_session_bus_the_cli_says_how_to_go_on() {
    let output = Command::new(env!("CARGO_BIN_EXE_headcount"))
        .args(["--lang", "en", "appcode", "status"])
        .env_remove("HEADCOUNT_APPCODE")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/headcount-test-bus",
        )
        .output()
        .expect("run headcount");
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("HEADCOUNT_APPCODE"), "{said}");
}
