//! Typed configuration for the gateway and the hub: serde structs with defaults, validation that names the key, and commented templates built from the real defaults.
