//! The single user the emulator accepts on every port (StarRocks' `root` with an empty password by
//! default).

/// User name and password accepted by the FE, BE and query ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl Credentials {
    /// Whether `user`/`password` match.
    pub fn accepts(&self, user: &str, password: &str) -> bool {
        self.user == user && self.password == password
    }
}
