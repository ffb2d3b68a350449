//! The operating system's unsafe edges: every `unsafe` block and libc call of
//! pqg lives here, behind small safe functions, each block with a `SAFETY:`
//! comment. Nothing here knows about gates, plans or reports, and nothing
//! here imports another pqg module.

#![allow(unsafe_code)]

pub(crate) mod fs;
pub(crate) mod host;
pub(crate) mod name;
pub(crate) mod process;
pub(crate) mod procfs;
pub(crate) mod stop;
pub(crate) mod tmp;
