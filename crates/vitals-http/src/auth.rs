//! Protection of the metrics routes: the client-address allow-list (403) and bearer or basic
//! authentication (401 with `WWW-Authenticate`), checked before any encoding is done.

use std::net::IpAddr;

use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};

use crate::config::{Credentials, IpNetwork};

/// The realm named in `WWW-Authenticate`.
const REALM: &str = "metrics";

/// The checks, prepared once from the config so a request costs no allocation.
#[derive(Debug)]
pub(crate) struct Guard {
    /// The credentials part expected after the scheme: the token, or base64 of `user:password`.
    expected: Option<(&'static str, Vec<u8>)>,
    allowed: Option<Vec<IpNetwork>>,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not on the allow-list, or no client address to check.
    Forbidden,
    /// Missing or wrong credentials; carries the scheme to challenge with.
    Unauthorized(&'static str),
}

impl Refusal {
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        }
    }

    pub(crate) fn headers(self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Self::Unauthorized(scheme) = self {
            let challenge = format!("{scheme} realm=\"{REALM}\"");
            // Both schemes and the realm are fixed ASCII, so this never fails.
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(WWW_AUTHENTICATE, value);
            }
        }
        headers
    }
}

impl Guard {
    pub(crate) fn new(auth: Option<&Credentials>, allowed: Option<&[IpNetwork]>) -> Self {
        let expected = auth.map(|credentials| match credentials {
            Credentials::Bearer(token) => ("Bearer", token.as_bytes().to_vec()),
            Credentials::Basic { user, password } => (
                "Basic",
                base64_encode(format!("{user}:{password}").as_bytes()).into_bytes(),
            ),
        });
        Self {
            expected,
            allowed: allowed.map(<[IpNetwork]>::to_vec),
        }
    }

    /// Whether nothing is checked, so the address need not even be looked up.
    pub(crate) fn is_open(&self) -> bool {
        self.expected.is_none() && self.allowed.is_none()
    }

    /// Checks the address first (a client that may not connect learns nothing about the
    /// credentials), then the `Authorization` header.
    pub(crate) fn check(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Result<(), Refusal> {
        if let Some(allowed) = &self.allowed {
            // No address (the router was not served with connect info) fails closed: an
            // allow-list that silently allowed everyone would be worse than none.
            let permitted = peer.is_some_and(|ip| allowed.iter().any(|net| net.contains(ip)));
            if !permitted {
                return Err(Refusal::Forbidden);
            }
        }
        let Some((scheme, expected)) = &self.expected else {
            return Ok(());
        };
        // Any one of several Authorization headers may carry the right credentials.
        let matched = headers.get_all(AUTHORIZATION).iter().any(|value| {
            let value = value.as_bytes();
            let Some(space) = value.iter().position(|&b| b == b' ') else {
                return false;
            };
            // The scheme is case-insensitive (RFC 9110 11.1); blanks may separate it from
            // the credentials.
            let (given_scheme, rest) = value.split_at(space);
            let given = rest.trim_ascii();
            given_scheme.eq_ignore_ascii_case(scheme.as_bytes()) & constant_time_eq(given, expected)
        });
        if matched {
            Ok(())
        } else {
            Err(Refusal::Unauthorized(scheme))
        }
    }
}

/// Compares without an early exit, so the time taken does not tell an attacker how many
/// leading bytes of a guess were right. Only the length of the secret can leak, and that only
/// as whether the guess's length equals it.
pub(crate) fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = u8::from(given.len() != expected.len());
    for (i, &e) in expected.iter().enumerate() {
        // Reading past the end of a short guess compares against 0; `diff` is already set.
        let g = given.get(i).copied().unwrap_or(0);
        diff |= g ^ e;
    }
    diff == 0
}

/// Standard base64 with padding (RFC 4648 section 4), as basic auth uses; the same `base64`
/// crate that vitals-push uses for the Pushgateway's grouping labels.
pub(crate) fn base64_encode(input: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let table = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("Aladdin:open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        ];
        for (input, expected) in table {
            assert_eq!(base64_encode(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn constant_time_eq_table() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abd", b"abc"));
        assert!(!constant_time_eq(b"ab", b"abc"));
        assert!(!constant_time_eq(b"abcd", b"abc"));
        assert!(!constant_time_eq(b"", b"abc"));
        assert!(constant_time_eq(b"", b""));
        // A guess padded with NULs must not match a shorter secret.
        assert!(!constant_time_eq(b"abc\0", b"abc"));
    }

    #[test]
    fn authorization_header_forms() {
        let guard = Guard::new(Some(&Credentials::Bearer("tok".into())), None);
        let check = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            guard.check(None, &headers)
        };
        assert_eq!(check("Bearer tok"), Ok(()));
        assert_eq!(check("bearer   tok"), Ok(()));
        assert_eq!(check("Bearer tok2"), Err(Refusal::Unauthorized("Bearer")));
        assert_eq!(check("Basic tok"), Err(Refusal::Unauthorized("Bearer")));
        assert_eq!(check("Bearertok"), Err(Refusal::Unauthorized("Bearer")));
        assert_eq!(
            guard.check(None, &HeaderMap::new()),
            Err(Refusal::Unauthorized("Bearer"))
        );
    }
}
