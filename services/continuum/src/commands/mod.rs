//! One module per subcommand.

pub mod credential;
pub mod export;
pub mod import;
pub mod node;
pub mod synth;
pub mod up;
