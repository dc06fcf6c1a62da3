//! The banks as the service sees them: domain types in, documents out,
//! and the reference checks that need the organisation tree.

use crate::domain::{
    FieldError, MenteeProfile, MentorProfile, Organization, OrganizationKind, Programme,
};
use crate::store::{Document, OrganizationNode, OrganizationRow, Scope, Table};
use serde::Serialize;
use std::collections::HashMap;

/// The organisation tree as far as a check can see it: id → (kind, parent).
#[derive(Debug, Default, Clone)]
pub struct Tree {
    nodes: HashMap<String, (OrganizationKind, Option<String>)>,
}

impl Tree {
    /// A tree of the stored organisations visible to the caller.
    pub fn from_nodes<'a>(nodes: impl IntoIterator<Item = &'a OrganizationNode>) -> Self {
        let mut tree = Self::default();
        for node in nodes {
            if let Some(kind) = OrganizationKind::parse(&node.kind) {
                tree.nodes
                    .insert(node.id.clone(), (kind, node.parent_id.clone()));
            }
        }
        tree
    }

    /// Adds or replaces an organisation (an import row, before it is stored).
    pub fn insert(&mut self, org: &Organization) {
        self.nodes.insert(
            org.id.to_string(),
            (org.kind, org.parent_id.as_ref().map(ToString::to_string)),
        );
    }

    /// Whether `id` is in the tree.
    pub fn contains(&self, id: &str) -> bool {
        self.nodes.contains_key(id)
    }

    /// The chain from the root down to `id`; `None` when `id` or an
    /// ancestor is missing or the chain loops.
    pub fn chain(&self, id: &str) -> Option<Vec<String>> {
        let mut chain = vec![id.to_owned()];
        let mut current = id;
        while let Some((_, parent)) = self.nodes.get(current) {
            match parent {
                None => {
                    chain.reverse();
                    return Some(chain);
                }
                Some(parent) => {
                    if chain.len() > self.nodes.len() {
                        return None;
                    }
                    chain.push(parent.clone());
                    current = parent;
                }
            }
        }
        None
    }

    /// Checks an organisation's parent: present, of a kind that may stand
    /// above it, and not making a cycle.
    pub fn check_parent(&self, org: &Organization) -> Vec<FieldError> {
        let Some(parent) = &org.parent_id else {
            return Vec::new();
        };
        let Some((parent_kind, _)) = self.nodes.get(parent.as_str()) else {
            return vec![FieldError::new(
                "parent_id",
                "unknown organisation (it does not exist or is outside your scope)",
            )];
        };
        let allowed = Organization::allowed_parent_kinds(org.kind);
        if !allowed.contains(parent_kind) {
            let names: Vec<&str> = allowed.iter().map(|k| k.as_str()).collect();
            return vec![FieldError::new(
                "parent_id",
                format!(
                    "a {} sits under a {}, not under a {parent_kind}",
                    org.kind,
                    names.join(" or ")
                ),
            )];
        }
        let mut probe = self.clone();
        probe.insert(org);
        if probe.chain(org.id.as_str()).is_none() {
            return vec![FieldError::new(
                "parent_id",
                "is inside this organisation: the tree would have a cycle",
            )];
        }
        Vec::new()
    }

    /// Whether `id` is in the tree and inside `scope`: its chain passes
    /// through the scope's organisation.
    pub fn allows(&self, scope: &Scope, id: &str) -> bool {
        match scope {
            Scope::All => self.contains(id),
            Scope::Under {
                organization_id, ..
            } => self
                .chain(id)
                .is_some_and(|chain| chain.iter().any(|c| c == organization_id)),
        }
    }

    /// Every reference check of an organisation about to be written by a
    /// caller with `scope`: a root needs an unscoped caller; the parent must
    /// be visible, of a fitting kind, and not below the organisation.
    pub fn check_organization(&self, scope: &Scope, org: &Organization) -> Vec<FieldError> {
        match &org.parent_id {
            None if *scope != Scope::All => vec![FieldError::new(
                "parent_id",
                "is required: a key scoped to an organisation cannot create a root",
            )],
            Some(parent) if !self.allows(scope, parent.as_str()) => vec![FieldError::new(
                "parent_id",
                "unknown organisation (it does not exist or is outside your scope)",
            )],
            _ => self.check_parent(org),
        }
    }

    /// The organisation that scopes a programme: the deepest one above all
    /// of its organisations, each of which must be visible to the caller.
    pub fn programme_anchor(
        &self,
        scope: &Scope,
        p: &Programme,
    ) -> Result<String, Vec<FieldError>> {
        let ids: Vec<String> = p.organization_ids.iter().map(ToString::to_string).collect();
        let outside: Vec<FieldError> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !self.allows(scope, id))
            .map(|(i, _)| {
                FieldError::new(
                    format!("organization_ids[{i}]"),
                    "unknown organisation (it does not exist or is outside your scope)",
                )
            })
            .collect();
        if !outside.is_empty() {
            return Err(outside);
        }
        self.common_ancestor(&ids)
    }

    /// The deepest organisation that has all of `ids` under it (or is one
    /// of them): the programme's anchor for scope checks.
    pub fn common_ancestor(&self, ids: &[String]) -> Result<String, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut chains = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            match self.chain(id) {
                Some(chain) => chains.push(chain),
                None => errors.push(FieldError::new(
                    format!("organization_ids[{i}]"),
                    "unknown organisation (it does not exist or is outside your scope)",
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let Some(first) = chains.first() else {
            return Err(vec![FieldError::new(
                "organization_ids",
                "must name at least one organisation",
            )]);
        };
        let mut depth = first.len();
        for chain in &chains[1..] {
            depth = depth.min(first.iter().zip(chain).take_while(|(a, b)| a == b).count());
        }
        match depth {
            0 => Err(vec![FieldError::new(
                "organization_ids",
                "the organisations must belong to one region",
            )]),
            _ => Ok(first[depth - 1].clone()),
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Domain types hold only strings, numbers and maps with string keys,
    // which always serialise.
    serde_json::to_string(value).unwrap_or_default()
}

fn labels<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> String {
    let mut out = String::from("|");
    for item in items {
        out.push_str(item.as_ref());
        out.push('|');
    }
    out
}

/// The stored form of an organisation.
pub fn organization_row(org: &Organization) -> OrganizationRow {
    OrganizationRow {
        id: org.id.to_string(),
        parent_id: org.parent_id.as_ref().map(ToString::to_string),
        kind: org.kind.as_str().to_owned(),
        doc: to_json(org),
    }
}

/// The stored form of a mentor profile.
pub fn mentor_document(m: &MentorProfile) -> Document {
    Document {
        table: Table::Mentors,
        id: m.person.id.to_string(),
        organization_id: m.person.organization_id.to_string(),
        kind: m.person.kind.as_str().to_owned(),
        labels: labels(m.forms.iter().map(|f| f.as_str())),
        doc: to_json(m),
    }
}

/// The stored form of a mentee profile.
pub fn mentee_document(m: &MenteeProfile) -> Document {
    Document {
        table: Table::Mentees,
        id: m.person.id.to_string(),
        organization_id: m.person.organization_id.to_string(),
        kind: m.person.kind.as_str().to_owned(),
        labels: labels([m.category.as_str()]),
        doc: to_json(m),
    }
}

/// The stored form of a programme, scoped by its anchor organisation.
pub fn programme_document(p: &Programme, anchor: &str) -> Document {
    Document {
        table: Table::Programmes,
        id: p.id.to_string(),
        organization_id: anchor.to_owned(),
        kind: p.form.as_str().to_owned(),
        labels: labels(p.organization_ids.iter().map(|id| id.as_str())),
        doc: to_json(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn org(id: &str, kind: &str, parent: Option<&str>) -> Organization {
        let mut value = json!({"id": id, "name": id, "kind": kind});
        if let Some(p) = parent {
            value["parent_id"] = json!(p);
        }
        Organization::parse(&value, None).expect("valid organisation")
    }

    #[test]
    fn a_programme_over_two_schools_is_anchored_at_their_municipality() {
        let mut tree = Tree::default();
        tree.insert(&org("r", "region", None));
        tree.insert(&org("m", "municipality", Some("r")));
        tree.insert(&org("s1", "school", Some("m")));
        tree.insert(&org("s2", "school", Some("m")));
        assert_eq!(
            tree.common_ancestor(&["s1".into(), "s2".into()]),
            Ok("m".into())
        );
        assert_eq!(tree.common_ancestor(&["s1".into()]), Ok("s1".into()));
        assert!(tree.common_ancestor(&["nowhere".into()]).is_err());
    }

    #[test]
    fn a_school_cannot_hold_a_municipality() {
        let mut tree = Tree::default();
        tree.insert(&org("r", "region", None));
        tree.insert(&org("m", "municipality", Some("r")));
        tree.insert(&org("s", "school", Some("m")));
        let errors = tree.check_parent(&org("m2", "municipality", Some("s")));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "parent_id");
    }
}
