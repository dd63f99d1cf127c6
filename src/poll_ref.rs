//! The three ways to address a poll (fact sheet §1.1), validated before any
//! request is sent.

use crate::error::{Error, Result};
use crate::form::Form;
use crate::prelude::*;

/// One poll, by one of the forms every `vote.AttachedVote.*` method takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PollRef {
    /// The attach row id (not the vote id).
    AttachId(u64),
    /// The entity the poll is attached to: a chat message or a feed post.
    Entity {
        /// `im` for chat polls, `blog` for feed polls.
        module_id: String,
        /// e.g. `Bitrix\Vote\Attachment\ImMessageConnector`.
        entity_type: String,
        /// The message or post id.
        entity_id: u64,
    },
    /// `signedAttachId` from an earlier answer, or the `resultUrl` slug.
    Signed(String),
}

/// Several polls of one kind of entity, for `getMany`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityRefs {
    /// As in [`PollRef::Entity`].
    pub module_id: String,
    /// As in [`PollRef::Entity`].
    pub entity_type: String,
    /// At most 50 ids.
    pub entity_ids: Vec<u64>,
}

/// The most ids `getMany` takes in one call.
pub const MAX_ENTITY_IDS: usize = 50;

/// The raw parts of a poll reference, as a caller gave them.
#[derive(Clone, Debug, Default)]
pub struct PollRefParts {
    /// `attachId`
    pub attach_id: Option<u64>,
    /// `moduleId`
    pub module_id: Option<String>,
    /// `entityType`
    pub entity_type: Option<String>,
    /// `entityId`
    pub entity_id: Option<u64>,
    /// `signedAttachId`
    pub signed_attach_id: Option<String>,
}

impl PollRef {
    /// Exactly one complete form, with positive ids and non-empty strings.
    pub fn from_parts(parts: PollRefParts) -> Result<Self> {
        let entity_given =
            parts.module_id.is_some() || parts.entity_type.is_some() || parts.entity_id.is_some();
        let forms = usize::from(parts.attach_id.is_some())
            + usize::from(entity_given)
            + usize::from(parts.signed_attach_id.is_some());
        if forms != 1 {
            return Err(Error::invalid_argument(
                "give exactly one of: attachId; moduleId + entityType + entityId; signedAttachId",
            ));
        }
        if let Some(id) = parts.attach_id {
            return Ok(PollRef::AttachId(positive(id, "attachId")?));
        }
        if let Some(signed) = parts.signed_attach_id {
            return Ok(PollRef::Signed(non_empty(signed, "signedAttachId")?));
        }
        let (Some(module_id), Some(entity_type), Some(entity_id)) =
            (parts.module_id, parts.entity_type, parts.entity_id)
        else {
            return Err(Error::invalid_argument(
                "moduleId, entityType and entityId go together",
            ));
        };
        Ok(PollRef::Entity {
            module_id: module_id_as_stored(non_empty(module_id, "moduleId")?),
            entity_type: non_empty(entity_type, "entityType")?,
            entity_id: positive(entity_id, "entityId")?,
        })
    }

    /// Adds the reference's parameters to a request.
    pub fn write(&self, form: &mut Form) {
        match self {
            PollRef::AttachId(id) => form.number("attachId", *id),
            PollRef::Entity {
                module_id,
                entity_type,
                entity_id,
            } => {
                form.text("moduleId", module_id);
                form.text("entityType", entity_type);
                form.number("entityId", *entity_id);
            }
            PollRef::Signed(signed) => form.text("signedAttachId", signed),
        }
    }
}

impl EntityRefs {
    /// Validates the module, the type and 1 to 50 positive ids.
    pub fn new(module_id: String, entity_type: String, entity_ids: Vec<u64>) -> Result<Self> {
        if entity_ids.is_empty() || entity_ids.len() > MAX_ENTITY_IDS {
            return Err(Error::invalid_argument(format!(
                "entityIds must hold 1 to {MAX_ENTITY_IDS} ids, got {}",
                entity_ids.len()
            )));
        }
        for id in &entity_ids {
            positive(*id, "entityIds[]")?;
        }
        Ok(EntityRefs {
            module_id: module_id_as_stored(non_empty(module_id, "moduleId")?),
            entity_type: non_empty(entity_type, "entityType")?,
            entity_ids,
        })
    }

    /// Adds `moduleId`, `entityType` and `entityIds[]` to a request.
    pub fn write(&self, form: &mut Form) {
        form.text("moduleId", &self.module_id);
        form.text("entityType", &self.entity_type);
        for id in &self.entity_ids {
            form.number("entityIds[]", *id);
        }
    }
}

/// The docs list `Im`; the portal stores and compares `im` (fact sheet §1.1).
fn module_id_as_stored(module_id: String) -> String {
    if module_id == "Im" {
        "im".into()
    } else {
        module_id
    }
}

fn positive(id: u64, name: &str) -> Result<u64> {
    if id == 0 {
        Err(Error::invalid_argument(format!(
            "{name} must be a positive integer"
        )))
    } else {
        Ok(id)
    }
}

fn non_empty(value: String, name: &str) -> Result<String> {
    if value.trim_ascii().is_empty() {
        Err(Error::invalid_argument(format!("{name} must not be empty")))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(poll: &PollRef) -> String {
        let mut form = Form::default();
        poll.write(&mut form);
        form.finish()
    }

    #[test]
    fn each_form_encodes_its_parameters() {
        let by_id = PollRef::from_parts(PollRefParts {
            attach_id: Some(7),
            ..Default::default()
        });
        assert_eq!(encoded(&by_id.unwrap()), "attachId=7");
        let entity = PollRef::from_parts(PollRefParts {
            module_id: Some("Im".into()),
            entity_type: Some(r"Bitrix\Vote\Attachment\ImMessageConnector".into()),
            entity_id: Some(13),
            ..Default::default()
        });
        assert_eq!(
            encoded(&entity.unwrap()),
            "moduleId=im&entityType=Bitrix%5CVote%5CAttachment%5CImMessageConnector&entityId=13"
        );
        let signed = PollRef::from_parts(PollRefParts {
            signed_attach_id: Some("1.abc".into()),
            ..Default::default()
        });
        assert_eq!(encoded(&signed.unwrap()), "signedAttachId=1.abc");
    }

    #[test]
    fn bad_references_are_invalid_arguments() {
        let cases = [
            PollRefParts::default(),
            PollRefParts {
                attach_id: Some(1),
                signed_attach_id: Some("x".into()),
                ..Default::default()
            },
            PollRefParts {
                attach_id: Some(0),
                ..Default::default()
            },
            PollRefParts {
                signed_attach_id: Some("  ".into()),
                ..Default::default()
            },
            PollRefParts {
                module_id: Some("im".into()),
                entity_id: Some(3),
                ..Default::default()
            },
            PollRefParts {
                attach_id: Some(1),
                entity_id: Some(3),
                ..Default::default()
            },
        ];
        for parts in cases {
            let err = PollRef::from_parts(parts.clone()).unwrap_err();
            assert_eq!(err.code(), "INVALID_ARGUMENT", "{parts:?}");
        }
    }

    #[test]
    fn get_many_takes_one_to_fifty_ids() {
        let refs = EntityRefs::new("im".into(), "T".into(), vec![13, 14]).unwrap();
        let mut form = Form::default();
        refs.write(&mut form);
        assert_eq!(
            form.finish(),
            "moduleId=im&entityType=T&entityIds%5B%5D=13&entityIds%5B%5D=14"
        );
        assert!(EntityRefs::new("im".into(), "T".into(), vec![]).is_err());
        assert!(EntityRefs::new("im".into(), "T".into(), (1..=51).collect()).is_err());
        assert!(EntityRefs::new("im".into(), "T".into(), vec![1, 0]).is_err());
    }
}

/// A ballot for `vote`: answer ids chosen, per question id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ballot(Vec<(u64, Vec<u64>)>);

impl Ballot {
    /// At least one question, each with at least one answer; positive ids.
    pub fn new(choices: Vec<(u64, Vec<u64>)>) -> Result<Self> {
        if choices.is_empty() {
            return Err(Error::invalid_argument(
                "the ballot must answer at least one question",
            ));
        }
        for (question, answers) in &choices {
            positive(*question, "a ballot's question id")?;
            if answers.is_empty() {
                return Err(Error::invalid_argument(format!(
                    "the ballot gives no answer for question {question}"
                )));
            }
            for answer in answers {
                positive(*answer, "a ballot's answer id")?;
            }
        }
        Ok(Ballot(choices))
    }

    /// Adds `ballot[<question>][]=<answer>` for every choice.
    pub fn write(&self, form: &mut Form) {
        for (question, answers) in &self.0 {
            let name = format!("ballot[{question}][]");
            for answer in answers {
                form.number(&name, *answer);
            }
        }
    }
}

#[cfg(test)]
mod ballot_tests {
    use super::*;

    #[test]
    fn ballots_encode_in_php_bracket_syntax() {
        let ballot = Ballot::new(vec![(1, vec![3, 5]), (2, vec![7])]).unwrap();
        let mut form = Form::default();
        ballot.write(&mut form);
        assert_eq!(
            form.finish(),
            "ballot%5B1%5D%5B%5D=3&ballot%5B1%5D%5B%5D=5&ballot%5B2%5D%5B%5D=7"
        );
        assert!(Ballot::new(vec![]).is_err());
        assert!(Ballot::new(vec![(1, vec![])]).is_err());
        assert!(Ballot::new(vec![(0, vec![1])]).is_err());
        assert!(Ballot::new(vec![(1, vec![0])]).is_err());
    }
}
