//! The ladder of stages and stage maps (DESIGN §2).
//!
//! A stage map gives a value from a stage upward, held until a higher key
//! replaces it; below its lowest key the setting is unset. This module is
//! pure data: it never reads files and never reports errors itself.

use std::fmt;
use std::ops::Range;

/// A stage's position on the ladder; lower is earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StageIdx(pub usize);

/// A stage name as the user wrote it, checked to be on the ladder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StageName(String);

impl StageName {
    /// Whether `name` is a valid stage name: 1–32 characters of `[a-z0-9-]`.
    pub fn is_valid(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }

    pub fn new_unchecked(name: &str) -> Self {
        StageName(name.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) const DEFAULT_STAGES: [&str; 5] =
    ["entry", "development", "staging", "production", "critical"];

/// The ordered stages, lowest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ladder {
    stages: Vec<StageName>,
}

impl Default for Ladder {
    fn default() -> Self {
        Ladder {
            stages: DEFAULT_STAGES
                .iter()
                .map(|s| StageName::new_unchecked(s))
                .collect(),
        }
    }
}

impl Ladder {
    pub fn new(stages: Vec<StageName>) -> Self {
        Ladder { stages }
    }

    pub fn find(&self, name: &str) -> Option<StageIdx> {
        self.stages
            .iter()
            .position(|s| s.as_str() == name)
            .map(StageIdx)
    }

    pub fn name(&self, idx: StageIdx) -> &StageName {
        &self.stages[idx.0]
    }

    pub fn lowest(&self) -> StageIdx {
        StageIdx(0)
    }

    pub fn highest(&self) -> StageIdx {
        StageIdx(self.stages.len() - 1)
    }

    pub fn len(&self) -> usize {
        self.stages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (StageIdx, &StageName)> {
        self.stages
            .iter()
            .enumerate()
            .map(|(i, s)| (StageIdx(i), s))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().map(StageName::as_str)
    }
}

/// One entry of a stage map: from `stage` upward the value is `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct StageEntry<T> {
    pub stage: StageIdx,
    pub value: T,
    /// Where the value was written, for warnings.
    pub span: Range<usize>,
}

/// A progressive setting (DESIGN §2).
#[derive(Debug, Clone, PartialEq)]
pub struct StageMap<T> {
    entries: Vec<StageEntry<T>>,
}

impl<T> Default for StageMap<T> {
    fn default() -> Self {
        StageMap {
            entries: Vec::new(),
        }
    }
}

impl<T> StageMap<T> {
    /// A map holding `value` at every stage.
    pub fn plain(value: T, span: Range<usize>) -> Self {
        StageMap {
            entries: vec![StageEntry {
                stage: StageIdx(0),
                value,
                span,
            }],
        }
    }

    /// A map from entries in any order; later duplicates of a stage win.
    pub fn from_entries(mut entries: Vec<StageEntry<T>>) -> Self {
        entries.sort_by_key(|e| e.stage);
        entries.dedup_by(|later, earlier| {
            if later.stage == earlier.stage {
                std::mem::swap(later, earlier);
                true
            } else {
                false
            }
        });
        StageMap { entries }
    }

    /// The value in force at `stage`, if any.
    pub fn at(&self, stage: StageIdx) -> Option<&T> {
        self.entries
            .iter()
            .take_while(|e| e.stage <= stage)
            .last()
            .map(|e| &e.value)
    }

    pub fn is_unset(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[StageEntry<T>] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(usize, i32)]) -> StageMap<i32> {
        StageMap::from_entries(
            pairs
                .iter()
                .map(|&(s, v)| StageEntry {
                    stage: StageIdx(s),
                    value: v,
                    span: 0..0,
                })
                .collect(),
        )
    }

    #[test]
    fn value_holds_upward_until_replaced_and_is_unset_below() {
        // min = { development = 60, staging = 75, production = 85 }
        let m = map(&[(3, 85), (1, 60), (2, 75)]);
        let at: Vec<_> = (0..5).map(|s| m.at(StageIdx(s)).copied()).collect();
        assert_eq!(at, [None, Some(60), Some(75), Some(85), Some(85)]);
    }

    #[test]
    fn plain_value_applies_at_every_stage() {
        let m = StageMap::plain(7, 0..1);
        assert_eq!(m.at(StageIdx(0)), Some(&7));
        assert_eq!(m.at(StageIdx(4)), Some(&7));
    }

    #[test]
    fn stage_names_are_lowercase_digits_and_dashes() {
        assert!(StageName::is_valid("pre-prod2"));
        assert!(!StageName::is_valid("Prod"));
        assert!(!StageName::is_valid(""));
        assert!(!StageName::is_valid("a b"));
    }
}
