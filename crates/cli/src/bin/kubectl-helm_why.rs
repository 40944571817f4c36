//! `kubectl-helm_why`: the same program, found by kubectl as the plugin `kubectl helm-why`.
fn main() -> std::process::ExitCode {
    helm_why::main()
}
