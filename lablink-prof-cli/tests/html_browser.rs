//! The HTML page in a real browser (headless Chromium): no console errors, bars as wide as
//! their share, names that wrap between path segments, and sorting.

#[path = "common/browser.rs"]
mod browser;
mod common;

use std::path::Path;

use common::{ok, server};
use lablink_prof_runtime::report::read_json;

/// The probe: every bar's track and fill width, names split inside a segment, and the
/// functions table's order after clicks on its headings.
const PROBE: &str = r#"
var bars = [];
document.querySelectorAll("table.source").forEach(function (table) {
  var h3 = table.previousElementSibling.previousElementSibling;
  table.querySelectorAll("tbody tr").forEach(function (tr) {
    tr.querySelectorAll("td.bar .t, td.bar .m").forEach(function (el) {
      var fill = el.getBoundingClientRect();
      bars.push({ function: h3.textContent, line: Number(tr.cells[0].textContent),
                  kind: el.className, percent: tr.cells[3].textContent,
                  track: el.parentElement.getBoundingClientRect().width, width: fill.width,
                  height: fill.height });
    });
  });
});
// Text between two break opportunities that the browser broke anyway.
var split = [], wrapped = 0;
document.querySelectorAll("td.name a, h3").forEach(function (el) {
  if (el.getClientRects().length > 1) wrapped++;
  el.childNodes.forEach(function (n) {
    if (n.nodeType !== 3 || n.textContent.indexOf(" ") >= 0) return;
    var range = document.createRange();
    range.selectNodeContents(n);
    if (range.getClientRects().length > 1) split.push(n.textContent);
  });
});
function order() {
  return Array.prototype.map.call(document.querySelectorAll("table.functions tbody tr"),
    function (r) { return r.cells[0].getAttribute("data-v"); });
}
var heads = document.querySelectorAll("table.functions th.sortable");
var sorted = { initial: order() };
heads[2].click(); sorted.calls_desc = order();
heads[2].click(); sorted.calls_asc = order();
heads[5].click(); sorted.own_desc = order();
heads[1].click(); sorted.file_desc = order();
return { bars: bars, split: split, wrapped: wrapped, sorted: sorted };
"#;

fn write_page(profile: &Path, dir: &Path) -> std::path::PathBuf {
    let out = dir.join("report.html");
    ok(&[
        "html",
        profile.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    out
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// The functions' names in the order `key` sorts them, largest first; ties keep `start`'s
/// order (JavaScript's sort is stable).
fn sorted_by<K: Ord>(start: &[String], key: impl Fn(&str) -> K) -> Vec<String> {
    let mut v = start.to_vec();
    v.sort_by_key(|n| std::cmp::Reverse(key(n)));
    v
}

#[test]
fn bars_sorting_and_names_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(&server(), dir.path());
    let profile = read_json(&server()).unwrap();
    // 900 px wide, so that the long names must wrap.
    let probe = browser::load(&page, PROBE, (900, 3000));
    assert!(probe.elapsed.as_secs() < 60, "{:?} to load", probe.elapsed);
    assert!(probe.errors.is_empty(), "page errors: {:?}", probe.errors);
    assert!(
        probe.console_log.is_empty(),
        "console: {:?}",
        probe.console_log
    );
    let r = &probe.result;

    // Every recorded line has a time bar and a memory bar (the heap was counted), each as wide
    // as its share of the function's time or allocated bytes: 110 px is 100 %.
    let bars = r["bars"].as_array().unwrap();
    let recorded: usize = profile.functions.iter().map(|f| f.lines.len()).sum();
    assert_eq!(bars.len(), 2 * recorded);
    for bar in bars {
        let f = profile
            .function(bar["function"].as_str().unwrap())
            .unwrap_or_else(|| panic!("no function {}", bar["function"]));
        let line = f.line(bar["line"].as_u64().unwrap() as u32).unwrap();
        let share = if bar["kind"] == "t" {
            line.time_ns as f64 / f.total_ns as f64
        } else {
            let total: u64 = f.lines.iter().map(|l| l.alloc_bytes).sum();
            if total == 0 {
                0.0
            } else {
                line.alloc_bytes as f64 / total as f64
            }
        };
        let (track, width) = (
            bar["track"].as_f64().unwrap(),
            bar["width"].as_f64().unwrap(),
        );
        assert!(
            (width - 110.0 * share).abs() < 0.05,
            "{bar}: expected {:.3} px",
            110.0 * share
        );
        assert_eq!(track, 110.0, "{bar}");
        assert!(
            (width - 110.0 * share).abs() < 0.05,
            "{bar}: expected {:.3} px",
            110.0 * share
        );
        if width > 0.0 {
            assert_eq!(bar["height"].as_f64().unwrap(), 10.0, "{bar}");
        }
    }
    // The hottest lines, by number: log_command:33 holds 92.34 % of its time (2,900,000 of
    // 3,140,700 ns) and 94.90 % of its bytes (245,760 of 258,960); execute_command:15 90.52 %.
    let find = |name: &str, line: u64, kind: &str| {
        bars.iter()
            .find(|b| {
                b["function"].as_str().unwrap().ends_with(name)
                    && b["line"] == line
                    && b["kind"] == kind
            })
            .unwrap()["width"]
            .as_f64()
            .unwrap()
    };
    assert!((find("log_command", 33, "t") - 101.57).abs() < 0.02);
    assert!((find("log_command", 33, "m") - 104.39).abs() < 0.02);
    assert!((find("execute_command", 15, "t") - 110.0 * 2_100_000.0 / 2_319_700.0).abs() < 0.05);

    // Names wrap, and only between segments.
    assert!(
        r["wrapped"].as_u64().unwrap() >= 1,
        "no name wrapped at 900 px"
    );
    assert!(r["split"].as_array().unwrap().is_empty(), "{}", r["split"]);

    // Sorting: by calls, most first, then fewest first; by own time; by file.
    let sorted = &r["sorted"];
    let initial = names(&sorted["initial"]);
    let by_cumulative: Vec<String> = {
        let mut f = profile.functions.clone();
        f.sort_by(|a, b| {
            (b.cumulative_ns, b.total_ns, &a.name).cmp(&(a.cumulative_ns, a.total_ns, &b.name))
        });
        f.into_iter().map(|f| f.name).collect()
    };
    assert_eq!(initial, by_cumulative);
    let calls = |n: &str| profile.function(n).unwrap().calls;
    let calls_desc = sorted_by(&initial, calls);
    assert_eq!(names(&sorted["calls_desc"]), calls_desc);
    assert_eq!(
        calls_desc.iter().map(|n| calls(n)).collect::<Vec<_>>(),
        [400, 100, 100, 60, 1, 1]
    );
    let mut calls_asc = calls_desc.clone();
    calls_asc.sort_by_key(|n| calls(n));
    assert_eq!(names(&sorted["calls_asc"]), calls_asc);
    let own = |n: &str| profile.function(n).unwrap().own_ns;
    assert_eq!(names(&sorted["own_desc"]), sorted_by(&calls_asc, own));
    assert_eq!(
        names(&sorted["own_desc"])[0],
        "<lablink_core::database::manager::DatabaseManager as lablink_core::database::CommandLog>::log_command"
    );
    let file = |n: &str| profile.function(n).unwrap().file.clone();
    let by_file = names(&sorted["file_desc"]);
    let files: Vec<String> = by_file.iter().map(|n| file(n)).collect();
    let mut expected = files.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(files, expected);
}

#[test]
fn a_broken_script_is_caught() {
    // The witness can fail: a page whose script throws gives an error.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><title>x</title></head><body><p>x</p>\
         <script>no_such_function();</script></body></html>",
    )
    .unwrap();
    let probe = browser::load(&page, "return 1;", (400, 300));
    assert_eq!(probe.result, serde_json::json!(1));
    assert_eq!(probe.errors.len(), 1, "{:?}", probe.errors);
    assert!(probe.errors[0].contains("no_such_function is not defined"));
}

#[test]
fn screenshot_for_people() {
    // Not a check of figures: writes the page's picture to target/ for a person to look at.
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(&server(), dir.path());
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report.png");
    let status = std::process::Command::new(browser::chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1400,2400",
            &format!(
                "--user-data-dir={}",
                dir.path().join("chromium-profile").display()
            ),
            &format!("--screenshot={}", shot.display()),
        ])
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // The PNG's header says 1400 x 2400.
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1400);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 2400);
}
