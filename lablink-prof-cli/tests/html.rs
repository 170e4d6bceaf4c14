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
        // Bars for time and memory.
        assert!(html.contains("class=\"t\" style=\"width:"));
        assert!(html.contains("class=\"m\" style=\"width:"));
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
