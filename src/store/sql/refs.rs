//! People named by number in stored run results.
//!
//! A region's run result lists nearly every pupil (unmatched, ineligible).
//! Stored with their ids, erasing one pupil would rewrite every stored
//! run; stored with numbers from `person_refs`, it rewrites that table's
//! one row, whatever the number of runs. The store numbers people as it
//! writes a result and names them again as it reads one, so everything
//! above the store sees ids, and an erased person's pseudonym.
//!
//! The rewrite works on the JSON text and touches nothing but the values
//! of [`NAMED`] members: every other byte stays as the run wrote it, so a
//! result reads back exactly (numbers in particular are not parsed and
//! printed again, which need not give the same float back).

use super::Backend;
use crate::store::{RunRecord, StoreError, StoreResult};
use sqlx::{
    AssertSqlSafe, ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Row, Transaction,
    Type,
};
use std::collections::{BTreeSet, HashMap};

/// The member of a run result that holds a person's id: each entry of
/// its `unmatched` and `ineligible` lists names its mentee so.
const NAMED: &str = "mentee_id";

/// Most values bound in one statement, far below either backend's limit.
const CHUNK: usize = 500;

/// `result` with every person's id replaced by their number, numbering
/// people seen for the first time. A result already numbered stays as it
/// is.
pub(super) async fn number_people<DB>(
    tx: &mut Transaction<'static, DB>,
    result: &str,
) -> StoreResult<String>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    let mut ids = BTreeSet::new();
    rewrite_named(result, |raw| {
        if let Ok(id) = serde_json::from_str::<String>(raw) {
            ids.insert(id);
        }
        None
    });
    if ids.is_empty() {
        return Ok(result.to_owned());
    }
    let mut numbers = numbers_of(tx, ids.iter()).await?;
    let missing: Vec<&String> = ids.iter().filter(|id| !numbers.contains_key(*id)).collect();
    for chunk in missing.chunks(CHUNK) {
        let values: Vec<String> = (1..=chunk.len()).map(|i| format!("(${i})")).collect();
        // Another instance may number the same person meanwhile: the
        // conflict leaves its number, read again below.
        let sql = format!(
            "INSERT INTO person_refs (person_id) VALUES {} ON CONFLICT (person_id) DO NOTHING",
            values.join(", ")
        );
        let mut query = sqlx::query::<DB>(AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind((*id).clone());
        }
        query.execute(&mut **tx).await?;
    }
    numbers.extend(numbers_of(tx, missing.into_iter()).await?);
    let mut unnumbered = None;
    let out = rewrite_named(result, |raw| {
        let id = serde_json::from_str::<String>(raw).ok()?;
        match numbers.get(&id) {
            Some(num) => Some(num.to_string()),
            None => {
                unnumbered = Some(id);
                None
            }
        }
    });
    match unnumbered {
        Some(id) => Err(StoreError::Database(sqlx::Error::Protocol(format!(
            "person {id} was given no number in person_refs"
        )))),
        None => Ok(out),
    }
}

/// The numbers of these ids, for those that have one.
async fn numbers_of<'i, DB>(
    tx: &mut Transaction<'static, DB>,
    ids: impl Iterator<Item = &'i String>,
) -> StoreResult<HashMap<String, i64>>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    let ids: Vec<&String> = ids.collect();
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT num, person_id FROM person_refs WHERE person_id IN ({})",
            placeholders(chunk.len())
        );
        let mut query = sqlx::query::<DB>(AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind((*id).clone());
        }
        for row in query.fetch_all(&mut **tx).await? {
            out.insert(row.try_get(1)?, row.try_get(0)?);
        }
    }
    Ok(out)
}

/// Names the people of these runs' results by id again (the erased by
/// their pseudonym). Results stored before numbering keep their ids and
/// read as they are.
pub(super) async fn name_people<DB>(pool: &Pool<DB>, runs: &mut [RunRecord]) -> StoreResult<()>
where
    DB: Backend,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    let mut nums = BTreeSet::new();
    for result in runs.iter().filter_map(|r| r.result.as_deref()) {
        rewrite_named(result, |raw| {
            if let Ok(num) = raw.parse::<i64>() {
                nums.insert(num);
            }
            None
        });
    }
    if nums.is_empty() {
        return Ok(());
    }
    let ids = ids_of(pool, &nums).await?;
    for run in runs.iter_mut() {
        let Some(result) = &run.result else {
            continue;
        };
        let mut unknown = None;
        let named = rewrite_named(result, |raw| {
            let num = raw.parse::<i64>().ok()?;
            match ids.get(&num) {
                Some(id) => serde_json::to_string(id).ok(),
                None => {
                    unknown = Some(num);
                    None
                }
            }
        });
        if let Some(num) = unknown {
            return Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "run {} names person number {num}, which is not in person_refs",
                run.id
            ))));
        }
        run.result = Some(named);
    }
    Ok(())
}

/// The ids of these numbers.
async fn ids_of<DB>(pool: &Pool<DB>, nums: &BTreeSet<i64>) -> StoreResult<HashMap<i64, String>>
where
    DB: Backend,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    let mut out = HashMap::with_capacity(nums.len());
    let (Some(&low), Some(&high)) = (nums.first(), nums.last()) else {
        return Ok(out);
    };
    // The people of one run are mostly numbered together (by its first
    // store), so one range read covers them with little to spare; widely
    // scattered numbers are read by list instead.
    let span = usize::try_from(high.saturating_sub(low)).unwrap_or(usize::MAX);
    if span / 2 <= nums.len() {
        let rows = sqlx::query::<DB>(
            "SELECT num, person_id FROM person_refs WHERE num >= $1 AND num <= $2",
        )
        .bind(low)
        .bind(high)
        .fetch_all(pool)
        .await?;
        for row in rows {
            let num: i64 = row.try_get(0)?;
            if nums.contains(&num) {
                out.insert(num, row.try_get(1)?);
            }
        }
        return Ok(out);
    }
    let nums: Vec<i64> = nums.iter().copied().collect();
    for chunk in nums.chunks(CHUNK) {
        let sql = format!(
            "SELECT num, person_id FROM person_refs WHERE num IN ({})",
            placeholders(chunk.len())
        );
        let mut query = sqlx::query::<DB>(AssertSqlSafe(sql));
        for num in chunk {
            query = query.bind(*num);
        }
        for row in query.fetch_all(pool).await? {
            out.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    Ok(out)
}

/// `$1, $2, …, $n`.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The JSON text `json` with the value of every [`NAMED`] member, at any
/// depth, replaced by what `with` makes of its raw text (a quoted string
/// or a number); `None` keeps it. Every other byte is copied as it is.
/// The text must be valid JSON; strings are skipped whole, so a value
/// that merely contains the member's name is never taken for it.
fn rewrite_named(json: &str, mut with: impl FnMut(&str) -> Option<String>) -> String {
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let close = string_end(bytes, i);
        let name = &json[i + 1..close];
        let colon = skip_space(bytes, close + 1);
        if name != NAMED || bytes.get(colon) != Some(&b':') {
            i = close + 1;
            continue;
        }
        let start = skip_space(bytes, colon + 1);
        let end = match bytes.get(start) {
            Some(b'"') => string_end(bytes, start) + 1,
            _ => {
                let mut end = start;
                while end < bytes.len()
                    && !matches!(bytes[end], b',' | b'}' | b']')
                    && !bytes[end].is_ascii_whitespace()
                {
                    end += 1;
                }
                end
            }
        };
        if let Some(value) = with(&json[start..end]) {
            out.push_str(&json[copied..start]);
            out.push_str(&value);
            copied = end;
        }
        i = end;
    }
    out.push_str(&json[copied..]);
    out
}

/// The index of the quote closing the string that opens at `open`
/// (the text's length when it is not closed).
fn string_end(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::rewrite_named;

    #[test]
    fn only_the_named_members_change_and_every_other_byte_stays() {
        let json = r#"{"stats":{"total_score":0.48333333333333334},"unmatched":[{"mentee_id":"p-1","reason":{"code":"mentee_id"}}],"ineligible":[{"mentee_id" : "p-\"2","text":""}]}"#;
        let numbered = rewrite_named(json, |raw| {
            Some(match serde_json::from_str::<String>(raw).ok()?.as_str() {
                "p-1" => "1".to_owned(),
                _ => "2".to_owned(),
            })
        });
        assert_eq!(
            numbered,
            r#"{"stats":{"total_score":0.48333333333333334},"unmatched":[{"mentee_id":1,"reason":{"code":"mentee_id"}}],"ineligible":[{"mentee_id" : 2,"text":""}]}"#
        );
        let named = rewrite_named(&numbered, |raw| match raw {
            "1" => Some(r#""p-1""#.to_owned()),
            "2" => Some(r#""p-\"2""#.to_owned()),
            _ => None,
        });
        assert_eq!(named, json);
    }

    #[test]
    fn a_text_without_the_member_is_copied_whole() {
        let json = r#"{"a":"mentee_id","b":[1,2.5e-7,"x\\"]}"#;
        assert_eq!(rewrite_named(json, |_| Some("0".into())), json);
    }
}
