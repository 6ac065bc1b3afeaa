//! `provctl dataset register --from-file`: a JSON Lines file of registrations sent in calls of
//! `RegisterDatasets`, refs across calls, the checks made before anything is sent, a call the
//! registry refuses, and running a file again.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::{Registry, TestResult, digest_of, path_str, provctl};
use serde_json::{Value, json};

/// One line of the file: dataset `name`, with `ref` `reference`, made from the line whose ref is
/// `parent`.
fn line(reference: &str, name: &str, parent: Option<&str>) -> Value {
    let mut dataset = json!({
        "name": name,
        "version": "1",
        "contentDigest": digest_of(name),
    });
    if let Some(parent) = parent {
        dataset["sources"] = json!([{"kind": "SOURCE_KIND_DATASET", "batchRef": parent}]);
    }
    json!({"ref": reference, "dataset": dataset})
}

/// A chain of `n` lines, each made from the one before: `step-0 <- step-1 <- ...`.
fn chain(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let parent = (i > 0).then(|| format!("s{}", i - 1));
            line(&format!("s{i}"), &format!("step-{i}"), parent.as_deref())
        })
        .collect()
}

/// Writes `lines` as JSON Lines into `dir`; returns the file's path.
fn write_file(dir: &Path, name: &str, lines: &[Value]) -> TestResult<String> {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path_str(&path)?.to_owned())
}

/// The summary's `label:` value, up to its first space.
fn summary(stdout: &str, label: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{label}:")))
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or_default()
        .to_owned()
}

/// Registers `file`, expecting exit code `code` and each of `needles` on stderr.
async fn refused(registry: &Registry, file: &str, code: i32, needles: &[&str]) -> TestResult {
    let run = registry
        .run(&["dataset", "register", "--from-file", file])
        .await?
        .expect_code(code);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "{needle:?} not in {}",
            run.stderr
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_of_2500_lines_crosses_calls_and_registering_it_again_stores_nothing() -> TestResult
{
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let file = write_file(dir.path(), "chain.jsonl", &chain(2500))?;

    let run = registry
        .run(&[
            "--output",
            "json",
            "dataset",
            "register",
            "--from-file",
            &file,
        ])
        .await?
        .ok();
    // Nothing on stderr: no progress bar off a terminal.
    assert_eq!(run.stderr, "");
    let answers: Vec<Value> = run
        .stdout
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(answers.len(), 2500);
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer["line"], i + 1);
        assert_eq!(answer["ref"], format!("s{i}"));
        assert_eq!(answer["dataset"]["name"], format!("step-{i}"));
        assert!(answer.get("alreadyExisted").is_none(), "{answer}");
        if i > 0 {
            // Lines 1001 and 2001 name a parent stored by the call before theirs.
            let sources = &answer["dataset"]["sources"];
            assert_eq!(sources[0]["datasetId"], answers[i - 1]["dataset"]["id"]);
            assert!(sources[0].get("batchRef").is_none(), "{answer}");
        }
    }
    assert_eq!(registry.dataset_count().await?, 2500);

    // Again: every line already existed, nothing is stored twice.
    let again = registry
        .run(&["dataset", "register", "--from-file", &file])
        .await?
        .ok();
    assert_eq!(
        summary(&again.stdout, "registered"),
        "2500",
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("in 3 call(s)"), "{}", again.stdout);
    assert_eq!(summary(&again.stdout, "new"), "0", "{}", again.stdout);
    assert_eq!(summary(&again.stdout, "already existed"), "2500");
    assert_eq!(registry.dataset_count().await?, 2500);
    registry.stop().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_line_that_does_not_parse_is_named_and_nothing_is_sent() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let mut lines: Vec<String> = chain(1500).iter().map(Value::to_string).collect();
    let good = lines[1200].clone();

    lines[1200] = good[..good.len() - 5].to_owned();
    let truncated = dir.path().join("truncated.jsonl");
    std::fs::write(&truncated, lines.join("\n"))?;
    let needle = "truncated.jsonl line 1201: not a BatchRegistration";
    refused(&registry, path_str(&truncated)?, 2, &[needle]).await?;

    // An unknown field is refused too, as the mapping refuses it, not dropped.
    lines[1200] = good.replace("\"contentDigest\"", "\"contentDigets\"");
    let misspelt = dir.path().join("misspelt.jsonl");
    std::fs::write(&misspelt, lines.join("\n"))?;
    let needles = [
        "misspelt.jsonl line 1201: ",
        "unknown field `contentDigets`",
    ];
    refused(&registry, path_str(&misspelt)?, 2, &needles).await?;
    assert_eq!(registry.dataset_count().await?, 0, "nothing sent");
    registry.stop().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ref_to_no_earlier_line_is_refused_before_anything_is_sent() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let mut lines = chain(1500);
    lines[1499] = line("s1499", "step-1499", Some("nowhere"));
    let file = write_file(dir.path(), "dangling.jsonl", &lines)?;
    let needle = "dangling.jsonl line 1500: sources[0].batchRef \"nowhere\" names no earlier line";
    refused(&registry, &file, 2, &[needle]).await?;

    // A ref to a later line, or a ref used twice, is refused the same way.
    let mut lines = chain(3);
    lines[0] = line("s0", "step-0", Some("s2"));
    let file = write_file(dir.path(), "later.jsonl", &lines)?;
    let needle = "later.jsonl line 1: sources[0].batchRef \"s2\" names line 3";
    refused(&registry, &file, 2, &[needle]).await?;
    let mut lines = chain(3);
    lines[2]["ref"] = json!("s0");
    let file = write_file(dir.path(), "twice.jsonl", &lines)?;
    let needle = "twice.jsonl line 3: ref \"s0\" is already the ref of line 1";
    refused(&registry, &file, 2, &[needle]).await?;
    assert_eq!(registry.dataset_count().await?, 0, "nothing sent");
    registry.stop().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_the_registry_refuses_names_the_line_and_the_earlier_calls_stay_stored() -> TestResult
{
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let mut lines = chain(2500);
    let good = lines[1502].clone();
    // Line 1503, item 502 of the second call, also names a parent that does not exist.
    lines[1502]["dataset"]["sources"]
        .as_array_mut()
        .ok_or("no sources")?
        .push(
            json!({"kind": "SOURCE_KIND_DATASET", "datasetId": uuid::Uuid::now_v7().to_string()}),
        );
    let file = write_file(dir.path(), "chain.jsonl", &lines)?;
    let needles = [
        "chain.jsonl line 1503 (registrations[502] of the call of lines 1001-2000): not found: \
         registrations[502]: sources[1].dataset_id",
        "nothing of lines 1001-2000 was stored",
        "lines 1-1000 (1000 registrations) were stored by earlier calls and stay stored",
        "running the same command again (with the file fixed) is safe",
    ];
    refused(&registry, &file, 3, &needles).await?;
    assert_eq!(registry.dataset_count().await?, 1000);

    // Fixed, the same file again: the first call's lines already exist, the rest are stored.
    lines[1502] = good;
    let file = write_file(dir.path(), "chain.jsonl", &lines)?;
    let run = registry
        .run(&["dataset", "register", "--from-file", &file])
        .await?
        .ok();
    assert_eq!(summary(&run.stdout, "new"), "1500", "{}", run.stdout);
    assert_eq!(summary(&run.stdout, "already existed"), "1000");
    assert_eq!(registry.dataset_count().await?, 2500);

    // A field the registry refuses, in the first call: exit code 5, the line named, nothing stored.
    let mut lines = vec![
        line("", "a", None),
        line("", "b", None),
        line("", "c", None),
    ];
    lines[2]["dataset"]["contentDigest"] = json!("md5:0");
    let file = write_file(dir.path(), "digest.jsonl", &lines)?;
    let needles = [
        "digest.jsonl line 3 (registrations[2] of the call of lines 1-3): invalid request: \
         registrations[2].dataset.content_digest",
        "nothing of lines 1-3 was stored",
    ];
    refused(&registry, &file, 5, &needles).await?;
    assert_eq!(registry.dataset_count().await?, 2500);
    registry.stop().await
}

#[tokio::test(flavor = "multi_thread")]
async fn standard_input_in_small_calls_prints_the_ids_with_quiet() -> TestResult {
    let registry = Registry::start().await?;
    let text: String = chain(5).iter().map(|l| format!("{l}\n\n")).collect();
    let mut command = provctl(
        &registry.url,
        Some(&registry.admin_token),
        &[
            "dataset",
            "register",
            "--from-file",
            "-",
            "--batch-size",
            "2",
            "-q",
        ],
    );
    command.stdin(Stdio::piped());
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("no stdin"))?
            .write_all(text.as_bytes())?;
        child.wait_with_output()
    })
    .await??;
    let run = common::Run::from(output).ok();
    let ids: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(ids.len(), 5, "{}", run.stdout);
    let last = registry
        .run(&["--output", "json", "dataset", "get", ids[4]])
        .await?
        .ok()
        .json()?;
    assert_eq!(last["name"], "step-4");
    // The fifth dataset, alone in the third call, names the fourth, stored by the second.
    assert_eq!(last["sources"][0]["datasetId"], ids[3]);
    registry.stop().await
}
