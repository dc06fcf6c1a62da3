//! The `match` and `generate` commands: the engine over files, without a
//! server or a database (the engine itself reads nothing).

use crate::domain::{FieldError, MenteeProfile, MentorProfile, Organization, Programme, Weights};
use crate::matching::assignment::Objective;
use crate::matching::engine::{Bank, PairRef, RunInput, run, run_on_deferred};
use crate::matching::explain::Lang;
use crate::matching::synth::generate;
use crate::matching::write_scores_csv;
use rayon::prelude::*;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn read_json(path: &Path) -> Result<Value, String> {
    serde_json::from_str(&read_text(path)?)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
}

/// The top level of an import-format file, each member kept as its raw
/// text: a region is tens of megabytes, and building one `Value` tree of
/// it cost more than matching every programme. Records are parsed one by
/// one, in parallel, by [`parse_all`].
struct InputFile<'a> {
    members: HashMap<String, &'a RawValue>,
}

impl<'a> InputFile<'a> {
    fn parse(text: &'a str, path: &Path) -> Result<Self, String> {
        let members = serde_json::from_str(text)
            .map_err(|e| format!("{} is not a valid JSON object: {e}", path.display()))?;
        Ok(InputFile { members })
    }

    /// Member `name` as a `Value` (`None` when absent; its syntax was
    /// checked when the file was read).
    fn get(&self, name: &str) -> Option<Value> {
        let raw = self.members.get(name)?;
        Some(serde_json::from_str(raw.get()).expect("checked when the file was read"))
    }
}

fn describe(list: &str, index: usize, value: &Value, errors: &[FieldError]) -> String {
    let id = value.get("id").and_then(Value::as_str).unwrap_or("?");
    let fields: Vec<String> = errors
        .iter()
        .map(|e| format!("field {}: {}", e.field, e.message))
        .collect();
    format!("{list}[{index}] (id {id}): {}", fields.join("; "))
}

/// Parses every record of `list` with `parse`, in parallel, collecting the
/// bad ones in file order.
fn parse_all<T: Send>(
    file: &InputFile<'_>,
    list: &str,
    parse: impl Fn(&Value) -> Result<T, Vec<FieldError>> + Sync,
    bad: &mut Vec<String>,
) -> Vec<T> {
    let Some(raw) = file.members.get(list) else {
        return Vec::new();
    };
    let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(raw.get()) else {
        bad.push(format!("{list}: must be an array"));
        return Vec::new();
    };
    let parsed: Vec<Result<T, String>> = items
        .par_iter()
        .enumerate()
        .map(|(i, item)| {
            let value: Value =
                serde_json::from_str(item.get()).expect("checked when the file was read");
            parse(&value).map_err(|errors| describe(list, i, &value, &errors))
        })
        .collect();
    let mut out = Vec::with_capacity(parsed.len());
    for record in parsed {
        match record {
            Ok(v) => out.push(v),
            Err(message) => bad.push(message),
        }
    }
    out
}

fn pairs(file: &InputFile<'_>, list: &str, bad: &mut Vec<String>) -> Vec<PairRef> {
    match file.get(list) {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value::<Vec<PairRef>>(v).unwrap_or_else(|e| {
            bad.push(format!("{list}: expected [{{mentor_id, mentee_id}}]: {e}"));
            Vec::new()
        }),
    }
}

/// The organisations and both banks of an import-format file.
fn read_banks(
    file: &InputFile<'_>,
    bad: &mut Vec<String>,
) -> (Vec<Organization>, Vec<MentorProfile>, Vec<MenteeProfile>) {
    (
        parse_all(file, "organizations", |v| Organization::parse(v, None), bad),
        parse_all(file, "mentors", |v| MentorProfile::parse(v, None), bad),
        parse_all(file, "mentees", |v| MenteeProfile::parse(v, None), bad),
    )
}

/// `match`: reads an import-format file (`{organizations, mentors, mentees}`
/// plus optional `approved_pairs`, `pinned_pairs`, `excluded_pairs`
/// (`[{mentor_id, mentee_id}]`), `objective` (`total`|`fair`|`rank_maximal`|`stable`|`stable_mentor`) and
/// `weights`) and a programme file, runs the matching, and returns
/// `{proposals, unmatched, ineligible, stats}`. Every bad record is named
/// with its list, position, id and fields. `default_objective` applies
/// when the file names none.
pub fn match_command(
    input: &Path,
    programme: &Path,
    lang: Lang,
    default_objective: Option<Objective>,
) -> Result<Value, String> {
    match_export_command(input, programme, lang, default_objective, None)
}

/// [`match_command`] that also writes the run's score matrix to `scores`
/// as CSV (as `GET /api/v1/runs/{id}/scores` gives it), the input of
/// `mentor-match solve`.
pub fn match_export_command(
    input: &Path,
    programme: &Path,
    lang: Lang,
    default_objective: Option<Objective>,
    scores: Option<&Path>,
) -> Result<Value, String> {
    let text = read_text(input)?;
    let root = InputFile::parse(&text, input)?;
    let programme_value = read_json(programme)?;
    let mut bad = Vec::new();
    let programme = Programme::parse(&programme_value, None)
        .map_err(|errors| describe("programme", 0, &programme_value, &errors))?;
    let (organizations, mentors, mentees) = read_banks(&root, &mut bad);
    let approved = pairs(&root, "approved_pairs", &mut bad);
    let pinned = pairs(&root, "pinned_pairs", &mut bad);
    let excluded = pairs(&root, "excluded_pairs", &mut bad);
    let objective = match root.get("objective").as_ref().and_then(Value::as_str) {
        None => default_objective.unwrap_or(Objective::Total),
        Some(name) => Objective::parse(name).unwrap_or_else(|| {
            bad.push(format!(
                "objective: unknown value {name:?}; expected total, fair, rank_maximal, stable or stable_mentor"
            ));
            Objective::Total
        }),
    };
    let weights = match root.get("weights") {
        None | Some(Value::Null) => None,
        Some(v) => match Weights::parse_over(programme.weights, &v, "weights") {
            Ok(w) => Some(w),
            Err(errors) => {
                bad.push(describe("weights", 0, &v, &errors));
                None
            }
        },
    };
    if !bad.is_empty() {
        return Err(format!("{} bad record(s):\n{}", bad.len(), bad.join("\n")));
    }
    let input = RunInput {
        approved: &approved,
        pinned: &pinned,
        excluded: &excluded,
        objective,
        weights,
        lang,
        ..RunInput::new(&programme, &organizations, &mentors, &mentees)
    };
    let outcome = run(&input).map_err(|e| e.to_string())?;
    if let Some(path) = scores {
        let cannot = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        let file = std::fs::File::create(path).map_err(cannot)?;
        let mut out = std::io::BufWriter::new(file);
        write_scores_csv(&outcome, &mut out)
            .and_then(|()| std::io::Write::flush(&mut out))
            .map_err(cannot)?;
    }
    Ok(json!({
        "programme_id": outcome.programme_id,
        "proposals": outcome.proposals,
        "unmatched": outcome.unmatched,
        "ineligible": outcome.ineligible,
        "stats": outcome.stats,
    }))
}

/// `match` without a programme file: runs every programme of the input
/// file (`programmes`, as the import format carries them) on the same
/// banks and returns one statistics line per programme plus the totals and
/// the wall time of all runs (parsing excluded). The banks are indexed
/// once for all programmes ([`Bank`]), and no programme lists the
/// mentees it leaves out ([`run_on_deferred`]). With `objective`, every
/// programme without group limits is run for it (group programmes take
/// `total`), so objectives can be set side by side on the same data.
pub fn match_all_command(
    input: &Path,
    lang: Lang,
    objective: Option<Objective>,
) -> Result<Value, String> {
    let text = read_text(input)?;
    let root = InputFile::parse(&text, input)?;
    let mut bad = Vec::new();
    let (organizations, mentors, mentees) = read_banks(&root, &mut bad);
    let programmes = parse_all(&root, "programmes", |v| Programme::parse(v, None), &mut bad);
    if !bad.is_empty() {
        return Err(format!("{} bad record(s):\n{}", bad.len(), bad.join("\n")));
    }
    if programmes.is_empty() {
        return Err("the input holds no programmes; pass one with --programme".into());
    }
    let started = std::time::Instant::now();
    let bank = Bank::new(&organizations, &mentors, &mentees);
    // Programmes run side by side: most are small, and each alone leaves
    // a core idle between its parallel stages.
    let results = programmes
        .par_iter()
        .map(|programme| {
            let objective = objective
                .filter(|o| programme.group.is_none() || o.allows_groups())
                .unwrap_or(Objective::Total);
            let input = RunInput {
                lang,
                objective,
                ..RunInput::new(programme, &organizations, &mentors, &mentees)
            };
            // The statistics name nobody left out, so that list is not made.
            let (outcome, _left_out) = run_on_deferred(&bank, &input)
                .map_err(|e| format!("programme {}: {e}", programme.id))?;
            // Only the statistics are kept: the proposals are freed here, in parallel.
            let line = json!({"programme_id": outcome.programme_id, "form": programme.form, "objective": objective, "stats": outcome.stats});
            Ok((line, outcome.stats))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut lines = Vec::with_capacity(programmes.len());
    let (mut eligible, mut matched, mut scored) = (0usize, 0usize, 0u64);
    for (line, stats) in results {
        eligible += stats.mentees_eligible;
        matched += stats.mentees_matched;
        scored += stats.pairs_scored;
        lines.push(line);
    }
    Ok(json!({
        "programmes": lines,
        "mentors": mentors.len(),
        "mentees": mentees.len(),
        "mentees_eligible": eligible,
        "mentees_matched": matched,
        "pairs_scored": scored,
        "elapsed_ms": started.elapsed().as_secs_f64() * 1000.0,
    }))
}

/// `generate`: a seeded synthetic data set of `schools` schools in the
/// import format `{organizations, mentors, mentees, programmes}`.
pub fn generate_command(schools: usize, seed: u64) -> Value {
    generate(schools, seed).to_json()
}
