//! Notes: what one is, what makes its text acceptable, and the store they live in.

use actas_verify::Session;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Longest note, in characters.
pub const MAX_TEXT_CHARS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub sub: String,
    pub username: String,
}

/// A note, and who wrote it: the user, and when impersonated, who was acting as them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub text: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub user: Person,
    pub actor: Option<Person>,
    pub impersonation_id: Option<String>,
    /// `read_only` or `full`; only full impersonations can write, so in practice `full`.
    pub mode: Option<String>,
}

impl Note {
    /// A new note by the session's user (the owner), recording the actor of an impersonation.
    pub fn by(session: &Session, text: String, id: String, created_at: String) -> Note {
        Note {
            id,
            text,
            created_at,
            user: Person {
                sub: session.sub.clone(),
                username: session.username.clone(),
            },
            actor: session.actor.as_ref().map(|a| Person {
                sub: a.sub.clone(),
                username: a.username.clone(),
            }),
            impersonation_id: session.impersonation_id.clone(),
            mode: session.mode.map(|m| m.as_str().to_string()),
        }
    }
}

/// Plain text of 1 to 1000 characters, not only blanks; line breaks and tabs are the only
/// control characters allowed.
pub fn check_text(text: &str) -> Result<(), &'static str> {
    if text.trim().is_empty() {
        return Err("text must not be empty");
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err("text must be at most 1000 characters");
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("text must be plain text (no control characters)");
    }
    Ok(())
}

/// The store failed; the detail is for logs.
#[derive(Debug, thiserror::Error)]
#[error("notes store: {0}")]
pub struct StoreError(pub String);

/// Notes by owner (the user's `sub`).
#[async_trait]
pub trait NoteStore: Send + Sync {
    async fn put(&self, note: &Note) -> Result<(), StoreError>;
    /// The owner's notes, oldest first.
    async fn list(&self, owner: &str) -> Result<Vec<Note>, StoreError>;
    /// Deletes one of the owner's notes, returning it; `None` when there was none.
    async fn delete(&self, owner: &str, id: &str) -> Result<Option<Note>, StoreError>;
}

/// Notes in memory, for tests.
#[cfg(test)]
#[derive(Default)]
pub struct MemoryNoteStore(std::sync::Mutex<Vec<Note>>);

#[cfg(test)]
#[async_trait]
impl NoteStore for MemoryNoteStore {
    async fn put(&self, note: &Note) -> Result<(), StoreError> {
        self.0.lock().unwrap().push(note.clone());
        Ok(())
    }

    async fn list(&self, owner: &str) -> Result<Vec<Note>, StoreError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|n| n.user.sub == owner)
            .cloned()
            .collect())
    }

    async fn delete(&self, owner: &str, id: &str) -> Result<Option<Note>, StoreError> {
        let mut notes = self.0.lock().unwrap();
        let found = notes.iter().position(|n| n.user.sub == owner && n.id == id);
        Ok(found.map(|i| notes.remove(i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        let long = "é".repeat(MAX_TEXT_CHARS);
        for good in ["a", "call back on Monday\nre: invoice\t42", long.as_str()] {
            assert_eq!(check_text(good), Ok(()), "{good}");
        }
        let too_long = "a".repeat(MAX_TEXT_CHARS + 1);
        for bad in [
            "",
            "   \n ",
            too_long.as_str(),
            "bell\u{7}",
            "nul\0",
            "esc\u{1b}[31m",
        ] {
            assert!(check_text(bad).is_err(), "{bad:?}");
        }
    }
}
