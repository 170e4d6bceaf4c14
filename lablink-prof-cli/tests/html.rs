//! `lablink-prof html`: one complete, self-contained page.

mod common;

use common::{golden, ok, server};
use lablink_prof_runtime::report::read_json;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(profile: &std::path::Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    ok(&[
        "html",
        profile.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn page_is_complete_and_self_contained() {
    for file in [server(), golden("minimal_v1.json")] {
        let html = page(&file);
        let profile = read_json(&file).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.trim_end().ends_with("</html>"));
        for f in &profile.functions {
            assert!(
                html.contains(&escape(&f.name)),
                "missing function {}",
                f.name
            );
            for line in &f.source {
                assert!(html.contains(&escape(line)), "missing source line {line:?}");
            }
        }
        // The flame graph, inline, whole: the SVG element parses as XML on its own.
        let (start, end) = (html.find("<svg").unwrap(), html.rfind("</svg>").unwrap());
        let svg = &html[start..end + "</svg>".len()];
        let doc = roxmltree::Document::parse(svg).expect("the inline SVG is well-formed");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(doc.descendants().filter(|n| n.has_tag_name("rect")).count() > 5);
        assert!(!html.contains("<?xml") && !html.contains("<!DOCTYPE svg"));
        // Nothing fetched from the network.
        let lower = html.to_ascii_lowercase();
        for bad in [
            "src=\"http",
            "href=\"http",
            "src='http",
            "href='http",
            "url(http",
            "@import",
            "src=\"//",
            "href=\"//",
        ] {
            assert!(!lower.contains(bad), "external reference {bad}");
        }
        assert!(!lower.contains("<link"), "no stylesheet links");
        assert!(!lower.contains("<script src"), "no external script");
        // Bars for time, and for memory when the heap was counted.
        assert!(html.contains("class=\"t\" style=\"width:"));
        assert_eq!(
            html.contains("class=\"m\" style=\"width:"),
            profile.heap_counted
        );
    }
}

#[test]
fn names_and_source_are_escaped() {
    let html = page(&server());
    assert!(html.contains("&lt;lablink_core::database::manager::DatabaseManager as"));
    assert!(!html.contains("<lablink_core::database"));
    assert!(html.contains("Result&lt;(), ServerError&gt;"));
}

#[test]
fn bars_follow_time_and_memory() {
    let html = page(&server());
    // log_command:33 holds 92.3% of its function's time and 240 KiB of its 252.9 KiB (245,760 of 258,960 bytes).
    let row = html
        .lines()
        .find(|l| l.contains("conn.execute(INSERT_COMMAND"))
        .unwrap();
    assert!(row.contains("class=\"t\" style=\"width:92.34%\""), "{row}");
    assert!(row.contains("class=\"m\" style=\"width:94.90%\""), "{row}");
}

#[test]
fn names_wrap_at_path_separators_and_counts_agree() {
    let html = page(&server());
    // A break opportunity after each `::`, none inside identifiers.
    assert!(html.contains(
        "<h3 id=\"fn-1\">&lt;lablink_core::<wbr>database::<wbr>manager::<wbr>DatabaseManager as \
         lablink_core::<wbr>database::<wbr>CommandLog&gt;::<wbr>log_command</h3>"
    ));
    assert!(!html.contains("word-break: break-all"));
    assert!(html.contains("6 profiled functions · 2 threads ·"));
    let one = page(&golden("minimal_v1.json"));
    // minimal_v1 lists no threads: 0 threads; 2 functions.
    assert!(
        one.contains("2 profiled functions · 0 threads ·"),
        "plurals"
    );
    assert!(one.contains(" · 1 call · "), "1 call, singular");
}

#[test]
fn sources_limit_keeps_every_function_listed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    ok(&[
        "html",
        server().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--sources",
        "2",
    ]);
    let html = std::fs::read_to_string(out).unwrap();
    // Source tables for the 2 functions with the most cumulative time, rows for all 6.
    assert_eq!(html.matches("<table class=\"source\">").count(), 2);
    assert_eq!(html.matches("<tr><td class=\"name\"").count(), 6);
    assert!(html.contains("<h3 id=\"fn-0\">lablink_core::<wbr>server::<wbr>run</h3>"));
    assert!(!html.contains("id=\"fn-2\""));
    assert!(
        !html.contains("href=\"#fn-2\""),
        "no link to a missing table"
    );
    assert!(html.contains("Source tables of the 2 functions with the most cumulative time, of 6"));
}

/// A sampled profile: the header says the mode and the samples, every time has its 95% error,
/// the source tables have Samples, ± 95%, On-CPU and Off-CPU, and the flame graph is the
/// sampler's stacks.
#[test]
fn a_sampled_page_says_so_and_shows_on_and_off_cpu_time() {
    let html = page(&common::sampled());
    assert!(
        html.contains(
            "<p class=\"meta mode\">Mode: sampled, 415 samples every 1.00 ms: hits and memory \
             are exact; times come from the samples, each with ± its 95% error (1.96 × √n × \
             1.00 ms for n samples); On-CPU and Off-CPU split a line's time by whether its \
             thread ran. Single hits are not timed: no min, max or percentiles, and no lines \
             found blocking the executor.</p>"
        ),
        "{html}"
    );
    // All the stacks' 415 samples: ± 1.96 × √415 ms = 39.9 ms.
    assert!(
        html.contains("own time of all functions 415.7 ms ± 39.9 ms"),
        "{html}"
    );
    assert!(
        html.contains(
            "<p class=\"meta\">examples/ingest.rs:30 · 32 calls · total 274.2 ms ± 32.4 ms · \
             own 274.2 ms ± 32.4 ms · allocated 0 B · sampled: 274 samples</p>"
        ),
        "{html}"
    );
    assert!(
        html.contains(
            "<th>Samples</th><th title=\"95% bound of the sampling error\">± 95%</th>\
             <th>On-CPU</th><th>Off-CPU</th>"
        ),
        "{html}"
    );
    // checksum:33 waits on a lock: 64 samples, 64.0558 ms, 1.93 ms of it on a CPU.
    assert!(
        html.contains(
            "<td>64</td><td>15.7 ms</td><td>1.93 ms</td><td>62.1 ms</td>\
             <td class=\"code\">    let _seen = SEEN.lock().unwrap().insert(h);</td>"
        ),
        "{html}"
    );
    assert!(html.contains("Stacks are those the sampler found."));
    assert!(html.contains("the sampled stacks (415 samples every 1.00 ms)"));
}

#[test]
fn an_exact_page_says_its_mode() {
    let html = page(&server());
    assert!(
        html.contains("<p class=\"meta mode\">Mode: exact: every hit timed with a clock.</p>"),
        "{html}"
    );
    assert!(!html.contains("On-CPU") && !html.contains("± 95%"));
    assert!(html.contains("Stacks are rebuilt from the caller edges"));
}

#[test]
fn whole_process_heap_tracking_has_its_section_with_exact_bytes() {
    let html = page(&common::golden("heap_tracking.json"));
    assert!(html.contains("<h2 id=\"heap-tracking\">"), "no section");
    assert!(html.contains("live at exit 8192 bytes in 52 blocks · peak 4197693 bytes"));
    assert!(html.contains(
        "<td class=\"text\" data-v=\"tests/heap_tracking.rs:23\">tests/heap_tracking.rs:23</td>"
    ));
    assert!(html.contains("<td data-v=\"3000\">3000</td><td data-v=\"3\">3</td>"));
    assert!(html.contains("<td data-v=\"4194304\">4194304</td>"));
    // A profile without tracking has no such section.
    assert!(!page(&server()).contains("heap-tracking"));
}
