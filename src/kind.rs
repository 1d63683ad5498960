//! The providers and the kinds of task they run.

/// A company whose API this library speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Lensmor,
    Salesfinity,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Lensmor => "lensmor",
            Provider::Salesfinity => "salesfinity",
        }
    }

    pub fn parse(name: &str) -> Option<Provider> {
        match name {
            "lensmor" => Some(Provider::Lensmor),
            "salesfinity" => Some(Provider::Salesfinity),
            _ => None,
        }
    }
}

/// One kind of asynchronous task: what is asked for, at which provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    /// Lensmor: unlock the emails of personnel of an event.
    LensmorEmail,
    /// Lensmor: unlock the phone numbers of personnel of an event.
    LensmorPhone,
    /// Salesfinity: find the email of one LinkedIn profile.
    SalesfinityEmail,
}

impl TaskKind {
    pub const ALL: [TaskKind; 3] = [
        TaskKind::LensmorEmail,
        TaskKind::LensmorPhone,
        TaskKind::SalesfinityEmail,
    ];

    /// The name JavaScript callers see in `task.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::LensmorEmail => "lensmor.email",
            TaskKind::LensmorPhone => "lensmor.phone",
            TaskKind::SalesfinityEmail => "salesfinity.email",
        }
    }

    pub fn parse(name: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn provider(self) -> Provider {
        match self {
            TaskKind::LensmorEmail | TaskKind::LensmorPhone => Provider::Lensmor,
            TaskKind::SalesfinityEmail => Provider::Salesfinity,
        }
    }

    /// The number that stands for this kind inside a resume token.
    ///
    /// These numbers are written into tokens users have stored: never renumber them.
    pub(crate) fn token_code(self) -> u8 {
        match self {
            TaskKind::LensmorEmail => 1,
            TaskKind::LensmorPhone => 2,
            TaskKind::SalesfinityEmail => 3,
        }
    }

    pub(crate) fn from_token_code(code: u8) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.token_code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in TaskKind::ALL {
            assert_eq!(TaskKind::parse(kind.as_str()), Some(kind));
            assert_eq!(TaskKind::from_token_code(kind.token_code()), Some(kind));
        }
        assert_eq!(TaskKind::parse("lensmor"), None);
        assert_eq!(Provider::parse("salesfinity"), Some(Provider::Salesfinity));
    }
}
