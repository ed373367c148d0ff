//! Credentials at rest: AES-256-GCM under a master key, the key's id stored beside each
//! ciphertext so that keys can rotate (`<key id>:<base64 of nonce ‖ ciphertext>`). The
//! key comes from `COMPANYOS_MASTER_KEY` (64 hex digits or base64 of 32 bytes); a node
//! without one generates a key under its data directory and warns.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Why a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("the master key must be 32 bytes, as 64 hex digits or base64: {0}")]
    BadKey(String),
    #[error("the ciphertext was sealed under key {0}, which this node does not have")]
    UnknownKey(String),
    #[error("the ciphertext is damaged or was not sealed by CompanyOS")]
    Damaged,
    #[error("{0}")]
    Io(String),
}

/// One AES-256 key and its id (the first 8 hex digits of its SHA-256).
#[derive(Clone)]
pub struct MasterKey {
    id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<MasterKey, CipherError> {
        if bytes.len() != 32 {
            return Err(CipherError::BadKey(format!("got {} bytes", bytes.len())));
        }
        let digest = Sha256::digest(bytes);
        let id = digest[..4]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let cipher = Aes256Gcm::new_from_slice(bytes)
            .map_err(|error| CipherError::BadKey(error.to_string()))?;
        Ok(MasterKey { id, cipher })
    }

    /// A key written as 64 hex digits or as base64.
    pub fn parse(text: &str) -> Result<MasterKey, CipherError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            (0..32)
                .map(|index| u8::from_str_radix(&text[index * 2..index * 2 + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|error| CipherError::BadKey(error.to_string()))?
        } else {
            STANDARD
                .decode(text)
                .map_err(|error| CipherError::BadKey(error.to_string()))?
        };
        MasterKey::from_bytes(&bytes)
    }

    /// A new random key in its text form (64 hex digits), for an operator to keep.
    pub fn generate_text() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// `sealed` under this key: opened with `previous` and sealed again, or `None` when it
    /// already is (so an interrupted rotation can simply be run again).
    pub fn reseal(
        &self,
        previous: &MasterKey,
        sealed: &str,
    ) -> Result<Option<String>, CipherError> {
        if sealed.split_once(':').is_some_and(|(id, _)| id == self.id) {
            return Ok(None);
        }
        Ok(Some(self.seal(&previous.open(sealed)?)))
    }

    /// A new random key.
    pub fn generate() -> MasterKey {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        // 32 bytes is the one length from_bytes accepts.
        MasterKey::from_bytes(&bytes).unwrap_or_else(|_| unreachable!("32-byte key"))
    }

    /// The configured key, else the one stored under `data_dir` (`master.key`), else a
    /// new one written there with a warning.
    pub fn load_or_create(
        configured: Option<&str>,
        data_dir: &Path,
    ) -> Result<MasterKey, CipherError> {
        if let Some(text) = configured.filter(|text| !text.trim().is_empty()) {
            return MasterKey::parse(text);
        }
        let path = data_dir.join("master.key");
        match std::fs::read_to_string(&path) {
            Ok(stored) => return MasterKey::parse(&stored),
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(CipherError::Io(format!(
                    "cannot read {}: {error}",
                    path.display()
                )));
            }
            Err(_) => {}
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let text: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        std::fs::create_dir_all(data_dir)
            .and_then(|()| std::fs::write(&path, &text))
            .map_err(|error| {
                CipherError::Io(format!("cannot write {}: {error}", path.display()))
            })?;
        restrict_permissions(&path);
        tracing::warn!(
            path = %path.display(),
            "no COMPANYOS_MASTER_KEY set: generated a key for integration credentials under the data directory; back it up, or credentials cannot be read again"
        );
        MasterKey::from_bytes(&bytes)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// `<key id>:<base64(nonce ‖ ciphertext)>`.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and a 12-byte nonce fails only past 64 GiB.
        let ciphertext = self
            .cipher
            .encrypt(&Nonce::from(nonce), plaintext)
            .unwrap_or_default();
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!("{}:{}", self.id, STANDARD.encode(sealed))
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, CipherError> {
        let (id, body) = sealed.split_once(':').ok_or(CipherError::Damaged)?;
        if id != self.id {
            return Err(CipherError::UnknownKey(id.to_owned()));
        }
        let bytes = STANDARD.decode(body).map_err(|_| CipherError::Damaged)?;
        if bytes.len() < 12 {
            return Err(CipherError::Damaged);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| CipherError::Damaged)?;
        self.cipher
            .decrypt(&Nonce::from(nonce), ciphertext)
            .map_err(|_| CipherError::Damaged)
    }

    /// Seals a JSON value (credentials).
    pub fn seal_json(&self, value: &serde_json::Value) -> String {
        self.seal(value.to_string().as_bytes())
    }

    pub fn open_json(&self, sealed: &str) -> Result<serde_json::Value, CipherError> {
        serde_json::from_slice(&self.open(sealed)?).map_err(|_| CipherError::Damaged)
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(error) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        tracing::warn!(path = %path.display(), %error, "cannot make the key file private");
    }
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resealing_moves_a_value_to_the_new_key_once() {
        let old = MasterKey::generate();
        let new = MasterKey::parse(&MasterKey::generate_text()).expect("text form parses");
        let sealed = old.seal(b"ghp_token");
        let moved = new.reseal(&old, &sealed).expect("reseal").expect("moved");
        assert!(moved.starts_with(&format!("{}:", new.id())));
        assert_eq!(new.open(&moved).expect("open"), b"ghp_token");
        assert_eq!(
            new.reseal(&old, &moved).expect("again"),
            None,
            "already moved"
        );
        assert!(
            old.open(&moved).is_err(),
            "the old key cannot read it any more"
        );
    }

    #[test]
    fn sealed_secrets_open_only_under_their_key() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"ghp_secret-token");
        assert!(sealed.starts_with(&format!("{}:", key.id())));
        assert!(!sealed.contains("ghp_secret"), "{sealed}");
        assert_eq!(key.open(&sealed).expect("opens"), b"ghp_secret-token");
        assert_ne!(
            key.seal(b"ghp_secret-token"),
            sealed,
            "a fresh nonce each time"
        );

        let other = MasterKey::generate();
        assert!(matches!(
            other.open(&sealed),
            Err(CipherError::UnknownKey(_))
        ));
        let mut damaged = sealed.clone();
        damaged.pop();
        damaged.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(key.open(&damaged).is_err());
        assert!(matches!(key.open("garbage"), Err(CipherError::Damaged)));
    }

    #[test]
    fn keys_parse_from_hex_or_base64_and_persist() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let from_hex = MasterKey::parse(hex).expect("hex");
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap_or(0))
            .collect();
        let from_base64 = MasterKey::parse(&STANDARD.encode(&bytes)).expect("base64");
        assert_eq!(from_hex.id(), from_base64.id());
        assert!(MasterKey::parse("too short").is_err());

        let dir = tempfile::tempdir().expect("tempdir");
        let first = MasterKey::load_or_create(None, dir.path()).expect("created");
        let again = MasterKey::load_or_create(Some("  "), dir.path()).expect("read back");
        assert_eq!(first.id(), again.id());
        assert_eq!(again.open(&first.seal(b"x")).expect("opens"), b"x");
    }
}
