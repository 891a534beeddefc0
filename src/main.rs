fn main() -> std::process::ExitCode {
    credlink::main()
}
