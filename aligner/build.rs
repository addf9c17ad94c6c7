//! Lets the cdylib leave the Node-API symbols unresolved: node provides them when it loads the module.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "macos" {
        println!("cargo:rustc-cdylib-link-arg=-undefined");
        println!("cargo:rustc-cdylib-link-arg=dynamic_lookup");
    } else if os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--unresolved-symbols=ignore-all");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
