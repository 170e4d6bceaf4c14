//! Headless Chromium for the HTML tests: load a page with a probe script added, and read back
//! what the probe measured.
//!
//! The probe is two scripts: one at the start of `<head>` that records uncaught errors and
//! `console.error` calls, one at the end of `<body>` (after the page's own script) that runs
//! the test's JavaScript and writes its result, as JSON, into the DOM, which
//! `chromium --dump-dom` prints.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Chromium binary. A missing browser fails the test: it is not skipped.
pub fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Some(path) = which(name) {
            return path;
        }
    }
    panic!(
        "Chromium is not installed, and the HTML tests need it: install it with \
         `apt-get install -y chromium` (Debian; .ci/run does this)"
    );
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// What a page load gave.
#[derive(Debug)]
pub struct Probe {
    /// The probe's result (`null` when the probe did not run).
    pub result: serde_json::Value,
    /// Uncaught errors and `console.error` messages, from the page's own recording.
    pub errors: Vec<String>,
    /// Chromium's console lines from its log (`CONSOLE` entries), as a second witness.
    pub console_log: Vec<String>,
    /// How long the browser took, from start to the DOM printed.
    pub elapsed: Duration,
}

const HEAD_PROBE: &str = r#"<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push("uncaught: " + e.message); });
(function () {
  var original = console.error;
  console.error = function () {
    window.__errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
</script>"#;

/// Loads `page` (an HTML file) in headless Chromium with `probe` (a JavaScript function body
/// returning a JSON-able value) run after the page's scripts.
pub fn load(page: &Path, probe: &str, window: (u32, u32)) -> Probe {
    let html = std::fs::read_to_string(page).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let head = html.find("<head>").expect("a <head>") + "<head>".len();
    let end = html.rfind("</body>").expect("a </body>");
    let tail = format!(
        "<script>\n(function () {{\n  var out;\n  try {{ out = (function () {{ {probe} \n}})(); }}\n  \
         catch (e) {{ window.__errors.push('probe: ' + e); out = null; }}\n  \
         var text = JSON.stringify({{ result: out, errors: window.__errors }})\n    \
         .replace(/[<>&]/g, function (c) {{ return '\\\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'); }});\n  \
         var pre = document.createElement('pre');\n  pre.id = '__probe';\n  pre.textContent = text;\n  \
         document.body.appendChild(pre);\n}})();\n</script>\n"
    );
    let probed = format!(
        "{}{HEAD_PROBE}{}{tail}{}",
        &html[..head],
        &html[head..end],
        &html[end..]
    );
    let file = dir.path().join("probed.html");
    std::fs::write(&file, probed).unwrap();
    let profile_dir = dir.path().join("chromium-profile");
    let start = Instant::now();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--window-size={},{}", window.0, window.1),
            &format!("--user-data-dir={}", profile_dir.display()),
            "--dump-dom",
        ])
        .arg(format!("file://{}", file.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Read both pipes on threads so a full pipe cannot stall the browser.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let deadline = start + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "chromium did not finish loading {} in 120 s",
                page.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = start.elapsed();
    let dom = out.join().unwrap();
    let log = err.join().unwrap();
    let console_log = log
        .lines()
        .filter(|l| l.contains("CONSOLE"))
        .map(str::to_owned)
        .collect();
    let json = dom
        .split("<pre id=\"__probe\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("the probe wrote nothing; chromium said:\n{log}"));
    let value: serde_json::Value = serde_json::from_str(&unescape_html(json)).unwrap();
    Probe {
        result: value["result"].clone(),
        errors: value["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap_or_default().to_owned())
            .collect(),
        console_log,
        elapsed,
    }
}

/// The text of an element as `--dump-dom` serialises it (`&quot;` and the like back).
fn unescape_html(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}
