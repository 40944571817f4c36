//! The `helm-why` binary: everything lives in the library so tests and the kubectl plugin
//! binary share it.
fn main() -> std::process::ExitCode {
    helm_why::main()
}
