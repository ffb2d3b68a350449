//! Every call into libc that needs `unsafe`, each behind a safe function
//! with a `// SAFETY:` comment. Nothing here knows about gates or configs.

pub mod tmp;
