//! MQTT wire contract between gateways and the hub: topics, versioned JSON payloads, acks.
