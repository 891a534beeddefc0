//! The `credlink` binary: everything is in the library, so tests reach it too.

fn main() -> std::process::ExitCode {
    credlink::main()
}
