use shiplint::cli;
use std::process::ExitCode;

// Parsing makes many small, short-lived allocations; mimalloc serves them
// several times faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let code = std::panic::catch_unwind(|| {
        let mut stdout = std::io::stdout().lock();
        let mut stderr = std::io::stderr().lock();
        cli::run(std::env::args_os(), &mut stdout, &mut stderr)
    })
    .unwrap_or(cli::exit::INTERNAL);
    ExitCode::from(u8::try_from(code).unwrap_or(3))
}
