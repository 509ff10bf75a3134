//! [`HostPort`]: a `host:port` network address as written in the configuration.

use std::fmt;

/// A host name or IP address with a port, e.g. `127.0.0.1:8030`, `fe1.example.com:8030`,
/// `[::1]:9030`. The host is kept unresolved (DNS happens when connecting).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port, never 0.
    pub port: u16,
}

impl HostPort {
    /// Parses `host:port` (an `http://` prefix and a trailing `/` are accepted and dropped). The
    /// error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.strip_prefix("http://").unwrap_or(text);
        let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        if trimmed.contains("://") {
            return Err(format!(
                "\"{text}\": only plain http addresses are supported"
            ));
        }
        let expected = || format!("expected \"host:port\", got \"{text}\"");
        let (host, port) = trimmed.rsplit_once(':').ok_or_else(expected)?;
        let host = match host.strip_prefix('[') {
            Some(inner) => inner.strip_suffix(']').ok_or_else(expected)?,
            None if host.contains(':') => {
                return Err(format!("{}; write IPv6 as [addr]:port", expected()))
            }
            None => host,
        };
        if host.is_empty() || host.contains(['/', ' ']) {
            return Err(expected());
        }
        let port: u16 = port
            .parse()
            .map_err(|_| format!("\"{text}\": port must be 1..65535"))?;
        if port == 0 {
            return Err(format!("\"{text}\": port must be 1..65535"));
        }
        Ok(HostPort {
            host: host.to_owned(),
            port,
        })
    }

    /// `http://host:port`, without a trailing slash.
    pub fn http_base(&self) -> String {
        format!("http://{self}")
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses() {
        let ok = [
            ("127.0.0.1:8030", "127.0.0.1", 8030),
            ("http://fe1:8030/", "fe1", 8030),
            ("[::1]:9030", "::1", 9030),
        ];
        for (text, host, port) in ok {
            let parsed = HostPort::parse(text).unwrap();
            assert_eq!((parsed.host.as_str(), parsed.port), (host, port), "{text}");
        }
        assert_eq!(
            HostPort::parse("[::1]:9030").unwrap().to_string(),
            "[::1]:9030"
        );
        assert_eq!(HostPort::parse("fe:1").unwrap().http_base(), "http://fe:1");
        for bad in [
            "fe",
            "fe:",
            ":80",
            "fe:0",
            "fe:70000",
            "https://fe:8030",
            "::1:80",
            "a b:1",
        ] {
            assert!(HostPort::parse(bad).is_err(), "{bad}");
        }
    }
}
