//! End-to-end tests that run real processes: simulator, gateway, hub, brokers.
