//! JWTs (docs/protocol.md) and passwords (docs/protocol.md).

use std::{collections::HashSet, io::Read, sync::OnceLock};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{error::TokenError, store::UserId};

mod passwords;
mod throttle;
mod usernames;

pub use passwords::{PasswordCheck, Passwords, PoolUnavailable};
pub use throttle::{
    AccountThrottles, ClientAddress, RetryAfter, Throttle, MAX_KEYS, TOO_MANY_ROOM_TRIES,
};
pub use usernames::{
    has_refused_character, is_reserved_for_bots, normalize_username, BOT_NAME_PREFIX,
    USERNAME_INVISIBLE, USERNAME_RESERVED,
};

/// Which of the two token kinds a JWT is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Short-lived token sent as `Authorization: Bearer`.
    Access,
    /// Long-lived token exchanged at `/auth/refresh/`.
    Refresh,
}

impl TokenKind {
    fn claim(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// What the `user_id` claim of a valid token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserClaim {
    /// The claim is absent.
    Missing,
    /// A user id, from a string (`"7"`) or an integer (`7`).
    Id(UserId),
    /// The claim is present but names no possible user (for example `"abc"`).
    Unrecognized,
}

/// The checked claims of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidToken {
    /// The user the token was issued to.
    pub user: UserClaim,
    /// The token id.
    pub jti: String,
    /// Expiry, in Unix seconds.
    pub exp: i64,
}

/// An access and refresh token pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenPair {
    /// Refresh token.
    pub refresh: String,
    /// Access token.
    pub access: String,
}

/// Issues and checks HS256 tokens with one key.
#[derive(Clone)]
pub struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    access_lifetime_secs: i64,
    refresh_lifetime_secs: i64,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Jwt")
            .field("access_lifetime_secs", &self.access_lifetime_secs)
            .field("refresh_lifetime_secs", &self.refresh_lifetime_secs)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    token_type: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
    user_id: String,
}

impl Jwt {
    /// A signer and verifier using the raw bytes of `secret` as the HS256 key.
    pub fn new(secret: &str, access_lifetime_secs: i64, refresh_lifetime_secs: i64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            access_lifetime_secs,
            refresh_lifetime_secs,
        }
    }

    /// Issues a token of `kind` for `user_id`, with a fresh `jti`.
    pub fn issue(&self, kind: TokenKind, user_id: UserId, now: DateTime<Utc>) -> String {
        let iat = now.timestamp();
        let lifetime = match kind {
            TokenKind::Access => self.access_lifetime_secs,
            TokenKind::Refresh => self.refresh_lifetime_secs,
        };
        let claims = Claims {
            token_type: kind.claim(),
            exp: iat + lifetime,
            iat,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            user_id: user_id.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("invariant: HS256 signing of a plain struct cannot fail")
    }

    /// Issues a fresh access and refresh pair.
    pub fn issue_pair(&self, user_id: UserId, now: DateTime<Utc>) -> TokenPair {
        TokenPair {
            refresh: self.issue(TokenKind::Refresh, user_id, now),
            access: self.issue(TokenKind::Access, user_id, now),
        }
    }

    /// Checks a token in the reference's order: signature, `exp`, `jti`, `token_type`.
    /// The user lookup is left to the caller.
    pub fn verify(
        &self,
        token: &str,
        kind: TokenKind,
        now: DateTime<Utc>,
    ) -> Result<ValidToken, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims = HashSet::new();
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;

        let exp = match claims.get("exp") {
            None => return Err(TokenError::NoExpiry),
            Some(value) => value.as_f64().ok_or(TokenError::Invalid)?,
        };
        let now_secs = now.timestamp() as f64 + f64::from(now.timestamp_subsec_micros()) / 1e6;
        if exp <= now_secs {
            return Err(TokenError::Expired);
        }
        let jti = match claims.get("jti") {
            None => return Err(TokenError::NoId),
            Some(Value::String(jti)) => jti.clone(),
            Some(other) => other.to_string(),
        };
        match claims.get("token_type") {
            None => return Err(TokenError::NoType),
            Some(Value::String(token_type)) if token_type == kind.claim() => {}
            Some(_) => return Err(TokenError::WrongType),
        }
        let user = match claims.get("user_id") {
            None | Some(Value::Null) => UserClaim::Missing,
            Some(Value::Number(number)) => number
                .as_i64()
                .map_or(UserClaim::Unrecognized, UserClaim::Id),
            Some(Value::String(text)) => text
                .parse::<UserId>()
                .map_or(UserClaim::Unrecognized, UserClaim::Id),
            Some(_) => UserClaim::Unrecognized,
        };
        Ok(ValidToken {
            user,
            jti,
            exp: exp as i64,
        })
    }
}

/// Generates a random key for a server started without `SECRET_KEY`.
pub fn generate_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Django's list of 20,000 common passwords (see `data/README.md`).
static COMMON_PASSWORDS_GZ: &[u8] = include_bytes!("../data/common-passwords.txt.gz");

fn common_passwords() -> &'static HashSet<String> {
    static LIST: OnceLock<HashSet<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        let mut text = String::new();
        flate2::read::GzDecoder::new(COMMON_PASSWORDS_GZ)
            .read_to_string(&mut text)
            .expect("invariant: the bundled password list is valid gzip and UTF-8");
        text.lines().map(|line| line.trim().to_owned()).collect()
    })
}

/// Password too short (fewer than 8 characters).
pub const PASSWORD_TOO_SHORT: &str =
    "La contraseña es demasiado corta. Debe contener por lo menos 8 caracteres.";
/// Password on the common-password list.
pub const PASSWORD_TOO_COMMON: &str = "Esta contraseña es demasiado común.";
/// Password made only of digits.
pub const PASSWORD_ALL_DIGITS: &str = "Esta contraseña es completamente numérica.";

/// The password checks of docs/protocol.md that fail for `password` (already trimmed), in order.
pub fn password_problems(password: &str) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if password.chars().count() < 8 {
        problems.push(PASSWORD_TOO_SHORT);
    }
    if common_passwords().contains(password.to_lowercase().trim()) {
        problems.push(PASSWORD_TOO_COMMON);
    }
    if !password.is_empty() && password.chars().all(char::is_numeric) {
        problems.push(PASSWORD_ALL_DIGITS);
    }
    problems
}
