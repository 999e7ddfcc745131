//! Cloud hub: MQTT link, multi-tenant storage and model, routing, REST API.
