//! `magnate`: command-line tools for Magnate.
#![forbid(unsafe_code)]

fn main() {
    println!("magnate {}", env!("CARGO_PKG_VERSION"));
}
