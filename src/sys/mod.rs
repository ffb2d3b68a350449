//! Safe wrappers over the libc calls pqg makes outside the runner: every
//! `unsafe` block of the crate lives under `sys/`, each with a `// SAFETY:`
//! comment saying why it holds.
//!
//! `sys` is a leaf: it imports nothing from the crate, and it never decides
//! anything. It turns one system call into a `std::io::Result` or a plain
//! value, and leaves what that means to the caller.

pub mod fs;
pub mod host;
pub mod tmp;
