//! The `[cloud]` section a newly registered gateway pastes into its `gateway.toml`, rendered
//! from the gateway config's own type (so it always parses there).

/// Renders the snippet (TOML) for gateway `name`.
pub fn gateway_config_snippet(name: &str, url: &str, username: &str, password: &str) -> String {
    #[derive(serde::Serialize)]
    struct Snippet {
        cloud: smsgate_config::gateway::CloudConfig,
    }
    let snippet = Snippet {
        cloud: smsgate_config::gateway::CloudConfig {
            url: Some(url.to_owned()),
            gateway_id: Some(username.to_owned()),
            username: Some(username.to_owned()),
            password: Some(password.to_owned()),
            ..Default::default()
        },
    };
    // Serialising plain strings and integers into TOML cannot fail; keep a readable fallback anyway.
    let body = toml::to_string(&snippet).unwrap_or_else(|e| format!("# cannot render: {e}\n"));
    let name = name.replace(['\n', '\r'], " ");
    format!("# smsgate gateway configuration for {name:?}: paste into gateway.toml\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_is_a_cloud_section_with_the_credentials() {
        let s = gateway_config_snippet("shop\nfront", "mqtts://hub:8883", "gw-1", "secret");
        assert!(s.starts_with("# smsgate gateway configuration for \"shop front\""));
        let t: toml::Table = s.parse().unwrap();
        assert_eq!(t["cloud"]["password"].as_str(), Some("secret"));
        assert_eq!(t["cloud"]["url"].as_str(), Some("mqtts://hub:8883"));
    }
}
