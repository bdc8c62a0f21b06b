//! Build script: the Windows icon resource and a little build metadata.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=assets/icon.ico");
    println!("cargo:rerun-if-changed=build.rs");

    // The short git hash of the build, when git and a repository are there.
    let hash = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| text.trim().to_owned())
        .unwrap_or_default();
    println!("cargo:rustc-env=HEADCOUNT_GIT_HASH={hash}");
    // Every commit appends to the reflog of HEAD: rebuild the hash then, and only then.
    let reflog = Command::new("git")
        .args(["rev-parse", "--git-path", "logs/HEAD"])
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok());
    if let Some(reflog) = reflog.map(|text| text.trim().to_owned())
        && !reflog.is_empty()
    {
        println!("cargo:rerun-if-changed={reflog}");
    }

    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        let mut resource = winresource::WindowsResource::new();
        resource.set_icon("assets/icon.ico");
        resource.set("ProductName", "Headcount");
        resource.set("FileDescription", "Headcount: count the people in a photo");
        if let Err(err) = resource.compile() {
            // A missing resource compiler should not stop the build; the exe just has
            // the default icon.
            println!("cargo:warning=could not embed the Windows icon: {err}");
        }
    }
}
