//! The interactive view: a function table, the selected function's lines with their source, a
//! footer, refreshed as snapshots come. Drawn with ratatui on crossterm.

use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use lablink_prof_runtime::report::units;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};
use ratatui::{DefaultTerminal, Frame};

use super::interval::{Columns, Figures, FunctionInterval, Interval, SortBy};
use super::source::{Snapshot, Target, Update};
use crate::error::CliError;

/// How long a note about a skipped snapshot stays on screen at least.
const NOTE_TIME: Duration = Duration::from_secs(5);

/// What the sampling thread sends.
#[derive(Debug)]
struct Sample {
    update: Update,
    uptime: Option<Duration>,
    at: Instant,
}

/// Starts the thread that takes snapshots: with a process, asks for one every `refresh`; with
/// a file, looks for a new version every `refresh`.
fn start_sampling(mut target: Target, refresh: Duration, timeout: Duration) -> Receiver<Sample> {
    let (tx, rx) = mpsc::channel();
    let is_file = matches!(target, Target::File(_));
    std::thread::spawn(move || {
        let mut last = None;
        loop {
            let started = Instant::now();
            let wait = if is_file { refresh } else { timeout };
            let update = target.next(last, wait);
            match &update {
                Update::Snapshot(s) => last = Some(s.stamp),
                Update::Skipped { stamp, .. } => last = *stamp,
                _ => {}
            }
            let ended = matches!(update, Update::Ended(_));
            let sample = Sample {
                update,
                uptime: target.uptime(),
                at: Instant::now(),
            };
            if tx.send(sample).is_err() || ended {
                return;
            }
            std::thread::sleep(refresh.saturating_sub(started.elapsed()));
        }
    });
    rx
}

/// The view's state.
#[derive(Debug)]
struct App {
    program: String,
    is_file: bool,
    latest: Option<Snapshot>,
    interval: Option<Interval>,
    sort: SortBy,
    columns: Columns,
    /// The selected function, by name, kept across refreshes and re-sorting once the user has
    /// moved the selection; until then the selection follows the first row.
    selected: Option<String>,
    user_selected: bool,
    functions_state: TableState,
    /// Whether the arrows move through the selected function's lines (after Enter).
    in_lines: bool,
    lines_state: TableState,
    note: Option<(String, Instant)>,
    ended: Option<String>,
    uptime: Option<(Duration, Instant)>,
}

impl App {
    fn new(program: String, is_file: bool, sort: SortBy, columns: Columns) -> App {
        App {
            program,
            is_file,
            latest: None,
            interval: None,
            sort,
            columns,
            selected: None,
            user_selected: false,
            functions_state: TableState::default(),
            in_lines: false,
            lines_state: TableState::default(),
            note: None,
            ended: None,
            uptime: None,
        }
    }

    fn set_note(&mut self, note: String) {
        self.note = Some((note, Instant::now()));
    }

    fn receive(&mut self, sample: Sample) {
        if self.ended.is_none() {
            self.uptime = sample.uptime.map(|u| (u, sample.at));
        }
        match sample.update {
            Update::Snapshot(s) => {
                let mut interval = Interval::between(self.latest.as_ref(), &s);
                if interval.restarted {
                    self.set_note(
                        "counters went down (the program started again): the interval counts \
                         from zero"
                            .to_owned(),
                    );
                } else if self
                    .note
                    .as_ref()
                    .is_some_and(|(_, at)| at.elapsed() >= NOTE_TIME)
                {
                    self.note = None;
                }
                interval.sort(self.sort, self.columns);
                self.interval = Some(interval);
                self.latest = Some(*s);
                self.keep_selection();
            }
            Update::Skipped { problem, .. } => {
                self.set_note(format!("skipped a snapshot: {problem}"));
            }
            Update::Late(why) => {
                if !self.is_file || self.latest.is_none() {
                    self.set_note(format!("waiting: {why}"));
                }
            }
            Update::Ended(why) => {
                self.ended = Some(why);
                if let Some((up, at)) = self.uptime {
                    self.uptime = Some((up + at.elapsed(), Instant::now()));
                }
            }
        }
    }

    fn functions(&self) -> &[FunctionInterval] {
        self.interval.as_ref().map_or(&[], |i| &i.functions)
    }

    /// Points the table at the selected function (the first when none is or it is gone).
    fn keep_selection(&mut self) {
        let index = self
            .selected
            .as_ref()
            .filter(|_| self.user_selected)
            .and_then(|name| self.functions().iter().position(|f| &f.name == name))
            .unwrap_or(0);
        self.select_function(index);
    }

    fn select_function(&mut self, index: usize) {
        let count = self.functions().len();
        if count == 0 {
            self.functions_state.select(None);
            return;
        }
        let index = index.min(count - 1);
        let name = self.functions()[index].name.clone();
        if self.selected.as_ref() != Some(&name) {
            self.lines_state = TableState::default();
        }
        self.selected = Some(name);
        self.functions_state.select(Some(index));
    }

    fn selected_function(&self) -> Option<&FunctionInterval> {
        self.functions().get(self.functions_state.selected()?)
    }

    fn resort(&mut self) {
        if let Some(i) = &mut self.interval {
            i.sort(self.sort, self.columns);
        }
        self.keep_selection();
    }

    /// Moves the selection (of functions, or of lines after Enter) by `step` rows.
    fn step(&mut self, step: isize) {
        if self.in_lines {
            let count = self.selected_function().map_or(0, |f| f.lines.len());
            if count > 0 {
                let now = self.lines_state.selected().unwrap_or(0);
                let next = now.saturating_add_signed(step).min(count - 1);
                self.lines_state.select(Some(next));
            }
        } else {
            let now = self.functions_state.selected().unwrap_or(0);
            self.user_selected = true;
            self.select_function(now.saturating_add_signed(step));
        }
    }

    /// Handles a key; `false` to quit.
    fn key(&mut self, key: KeyEvent) -> bool {
        match key.code {
            KeyCode::Char('q') => return false,
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => return false,
            KeyCode::Esc | KeyCode::Backspace | KeyCode::Left if self.in_lines => {
                self.in_lines = false;
            }
            KeyCode::Esc => return false,
            KeyCode::Enter | KeyCode::Right => {
                let enter = !self.in_lines || key.code == KeyCode::Right;
                self.in_lines = enter && self.selected_function().is_some();
                if self.in_lines && self.lines_state.selected().is_none() {
                    self.lines_state.select(Some(0));
                }
            }
            KeyCode::Up | KeyCode::Char('k') => self.step(-1),
            KeyCode::Down | KeyCode::Char('j') => self.step(1),
            KeyCode::PageUp => self.step(-10),
            KeyCode::PageDown => self.step(10),
            KeyCode::Home => self.step(isize::MIN / 2),
            KeyCode::End => self.step(isize::MAX / 2),
            KeyCode::Char('s') => {
                self.sort = match self.sort {
                    SortBy::Interval => SortBy::Total,
                    SortBy::Total => SortBy::Interval,
                };
                self.resort();
            }
            KeyCode::Char('m') => {
                self.columns = match self.columns {
                    Columns::Time => Columns::Memory,
                    Columns::Memory => Columns::Time,
                };
                self.resort();
            }
            _ => {}
        }
        true
    }
}

/// Runs the view until `q`.
///
/// # Errors
/// [`CliError::Output`] when the terminal cannot be set up or drawn on.
pub fn run(
    target: Target,
    refresh: Duration,
    timeout: Duration,
    sort: SortBy,
    columns: Columns,
) -> Result<(), CliError> {
    let terminal_error = |e| CliError::output(Path::new("<terminal>"), e);
    let mut app = App::new(
        target.program(),
        matches!(target, Target::File(_)),
        sort,
        columns,
    );
    let samples = start_sampling(target, refresh, timeout);
    let mut terminal = ratatui::try_init().map_err(terminal_error)?;
    let result = event_loop(&mut terminal, &mut app, &samples);
    ratatui::restore();
    result.map_err(terminal_error)
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    samples: &Receiver<Sample>,
) -> std::io::Result<()> {
    let tick = Duration::from_millis(100);
    loop {
        terminal.draw(|frame| draw(frame, app))?;
        // Keys first, then whatever the sampler has, so `q` is never kept waiting.
        if event::poll(tick)? {
            match event::read()? {
                Event::Key(key) if key.kind != KeyEventKind::Release && !app.key(key) => {
                    return Ok(());
                }
                _ => {} // a resize is drawn on the next pass
            }
        }
        for sample in samples.try_iter() {
            app.receive(sample);
        }
    }
}

/// A per-second figure as a duration per second, or `-` without an interval.
fn time_rate(interval: &Interval, ns: u64) -> String {
    interval
        .per_second(ns)
        .map_or_else(|| "-".to_owned(), units::duration)
}

/// A count per second in at most 9 characters: `12.5`, `123456`, `12.3M`.
fn count_rate(interval: &Interval, n: u64) -> String {
    interval.per_second(n).map_or_else(
        || "-".to_owned(),
        |v| {
            if v < 1e4 {
                format!("{v:.1}")
            } else if v < 1e7 {
                format!("{v:.0}")
            } else if v < 1e10 {
                format!("{:.1}M", v / 1e6)
            } else {
                format!("{v:.2e}")
            }
        },
    )
}

fn bytes_rate(interval: &Interval, n: u64) -> String {
    if !interval.heap_counted {
        return "-".to_owned();
    }
    interval
        .per_second(n)
        .map_or_else(|| "-".to_owned(), |v| units::bytes(v.round() as u64))
}

fn net_rate(interval: &Interval, f: &Figures) -> String {
    if !interval.heap_counted {
        return "-".to_owned();
    }
    let net = f.net_bytes();
    interval.per_second(net.unsigned_abs()).map_or_else(
        || "-".to_owned(),
        |v| units::signed_bytes(v.round() as i64 * net.signum()),
    )
}

fn optional_time_rate(interval: &Interval, ns: Option<u64>) -> String {
    ns.map_or_else(|| "-".to_owned(), |ns| time_rate(interval, ns))
}

/// A table row: figures right-aligned, the last cell (a name or source text) left-aligned.
fn row(cells: Vec<String>) -> Row<'static> {
    let last = cells.len().saturating_sub(1);
    Row::new(cells.into_iter().enumerate().map(|(i, text)| {
        if i < last {
            Cell::from(Line::from(text).right_aligned())
        } else {
            Cell::from(text)
        }
    }))
}

/// The title's note for a sampled profile: its times are samples, with their error.
fn sampled_title(interval_ns: u64) -> String {
    let every = units::duration(interval_ns as f64);
    format!("  times sampled every {every}: ± 1.96 × √n × {every} for n samples (95%)")
}

fn header(cells: &[&'static str]) -> Row<'static> {
    row(cells.iter().map(|c| (*c).to_owned()).collect())
        .style(Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED))
}

fn draw(frame: &mut Frame<'_>, app: &mut App) {
    let [title, body, note, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let (top, bottom) = if app.in_lines {
        (Constraint::Percentage(30), Constraint::Percentage(70))
    } else {
        (Constraint::Percentage(50), Constraint::Percentage(50))
    };
    let [functions_area, lines_area] = Layout::vertical([top, bottom]).areas(body);

    let sort = match (app.sort, app.columns) {
        (SortBy::Interval, Columns::Time) => "time in the last interval",
        (SortBy::Total, Columns::Time) => "total time",
        (SortBy::Interval, Columns::Memory) => "bytes in the last interval",
        (SortBy::Total, Columns::Memory) => "total bytes",
    };
    let columns = match app.columns {
        Columns::Time => "time",
        Columns::Memory => "memory",
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                " lablink-prof top ",
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("  sorted by {sort}  ({columns} columns)")),
            Span::raw(
                app.interval
                    .as_ref()
                    .and_then(|i| i.sample_interval_ns)
                    .map(sampled_title)
                    .unwrap_or_default(),
            ),
        ])),
        title,
    );

    draw_functions(frame, app, functions_area);
    draw_lines(frame, app, lines_area);

    if let Some(why) = &app.ended {
        frame.render_widget(
            Paragraph::new(format!(" ENDED: {why}; these are its last figures"))
                .style(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)),
            note,
        );
    } else if let Some((text, _)) = &app.note {
        frame.render_widget(
            Paragraph::new(format!(" note: {text}")).style(Style::new().fg(Color::Yellow)),
            note,
        );
    }

    let mut parts = vec![format!(" {}", app.program)];
    match app.uptime {
        Some((up, at)) => {
            let up = if app.ended.is_some() {
                up
            } else {
                up + at.elapsed()
            };
            parts.push(format!("up {}", clock(up)));
        }
        None if app.is_file => parts.push("uptime unknown".to_owned()),
        None => {}
    }
    match &app.latest {
        Some(s) => parts.push(format!("snapshot {:.1} s old", s.age().as_secs_f64())),
        None => parts.push("no snapshot yet".to_owned()),
    }
    if let Some(e) = app.interval.as_ref().and_then(|i| i.elapsed) {
        parts.push(format!("interval {:.2} s", e.as_secs_f64()));
    }
    frame.render_widget(
        Paragraph::new(parts.join(" · ")).style(Style::new().add_modifier(Modifier::REVERSED)),
        status,
    );
    let keys_text = if app.in_lines {
        " ↑↓ scroll lines  Esc back  s sort  m time/memory  q quit"
    } else {
        " ↑↓ select  Enter lines  s sort  m time/memory  q quit"
    };
    frame.render_widget(Paragraph::new(keys_text), keys);
}

fn draw_functions(frame: &mut Frame<'_>, app: &mut App, area: Rect) {
    let Some(interval) = &app.interval else {
        frame.render_widget(
            Paragraph::new(" waiting for the first snapshot...")
                .block(Block::new().borders(Borders::TOP).title(" Functions ")),
            area,
        );
        return;
    };
    let title = match interval.elapsed {
        Some(_) => " Functions, per second of the last interval ",
        None => " Functions (totals so far; rates after the next snapshot) ",
    };
    let (head, widths, rows): (Vec<&'static str>, Vec<Constraint>, Vec<Row<'_>>) = match app.columns
    {
        Columns::Time => {
            let mut head = vec!["Calls/s", "Time/s"];
            if interval.sampled {
                head.extend(["On-CPU/s", "Off-CPU/s"]);
            }
            head.extend(["Total", "Function"]);
            let mut widths = vec![Constraint::Length(9); head.len() - 1];
            widths.push(Constraint::Fill(1));
            let rows = interval
                .functions
                .iter()
                .map(|f| {
                    let mut cells = vec![
                        count_rate(interval, f.delta.count),
                        time_rate(interval, f.delta.time_ns),
                    ];
                    if interval.sampled {
                        cells.push(optional_time_rate(interval, f.delta.cpu_ns));
                        cells.push(optional_time_rate(interval, f.delta.off_cpu_ns));
                    }
                    cells.push(units::duration(f.total.time_ns as f64));
                    cells.push(f.name.clone());
                    row(cells)
                })
                .collect();
            (head, widths, rows)
        }
        Columns::Memory => {
            let head = vec!["Allocs/s", "Alloc/s", "Net/s", "Total", "Function"];
            let widths = vec![
                Constraint::Length(9),
                Constraint::Length(10),
                Constraint::Length(11),
                Constraint::Length(10),
                Constraint::Fill(1),
            ];
            let rows = interval
                .functions
                .iter()
                .map(|f| {
                    let total = if interval.heap_counted {
                        units::bytes(f.total.alloc_bytes)
                    } else {
                        "-".to_owned()
                    };
                    row(vec![
                        if interval.heap_counted {
                            count_rate(interval, f.delta.allocs)
                        } else {
                            "-".to_owned()
                        },
                        bytes_rate(interval, f.delta.alloc_bytes),
                        net_rate(interval, &f.delta),
                        total,
                        f.name.clone(),
                    ])
                })
                .collect();
            (head, widths, rows)
        }
    };
    let border = if app.in_lines {
        Style::new()
    } else {
        Style::new().fg(Color::Cyan)
    };
    let table = Table::new(rows, widths)
        .header(header(&head))
        .block(
            Block::new()
                .borders(Borders::TOP)
                .border_style(border)
                .title(title),
        )
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol("> ");
    frame.render_stateful_widget(table, area, &mut app.functions_state);
}

fn draw_lines(frame: &mut Frame<'_>, app: &mut App, area: Rect) {
    let Some(interval) = &app.interval else {
        return;
    };
    let Some(f) = interval
        .functions
        .get(app.functions_state.selected().unwrap_or(0))
    else {
        return;
    };
    let mut title = format!(" Lines of {} ({}:{}) ", f.name, f.file, f.line);
    if app.columns == Columns::Memory && !interval.heap_counted {
        title.push_str("- memory not measured (no counting allocator) ");
    }
    let (head, widths) = match app.columns {
        Columns::Time => {
            let mut head = vec!["Line", "Hits/s", "Time/s", "% Fn"];
            let mut widths = vec![
                Constraint::Length(5),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(6),
            ];
            if interval.sampled {
                head.extend(["On-CPU/s", "Off-CPU/s"]);
                widths.extend([Constraint::Length(9), Constraint::Length(9)]);
            }
            head.push("Source");
            widths.push(Constraint::Fill(1));
            (head, widths)
        }
        Columns::Memory => (
            vec!["Line", "Allocs/s", "Alloc/s", "Net/s", "Source"],
            vec![
                Constraint::Length(5),
                Constraint::Length(9),
                Constraint::Length(10),
                Constraint::Length(11),
                Constraint::Fill(1),
            ],
        ),
    };
    let rows = f.lines.iter().map(|l| {
        let d = &l.delta;
        let recorded = l.total != Figures::default();
        let mut cells = vec![l.line.to_string()];
        if recorded {
            match app.columns {
                Columns::Time => {
                    cells.push(count_rate(interval, d.count));
                    cells.push(time_rate(interval, d.time_ns));
                    cells.push(if f.delta.time_ns == 0 {
                        "-".to_owned()
                    } else {
                        format!("{:.1}", 100.0 * d.time_ns as f64 / f.delta.time_ns as f64)
                    });
                    if interval.sampled {
                        cells.push(optional_time_rate(interval, d.cpu_ns));
                        cells.push(optional_time_rate(interval, d.off_cpu_ns));
                    }
                }
                Columns::Memory => {
                    cells.push(if interval.heap_counted {
                        count_rate(interval, d.allocs)
                    } else {
                        "-".to_owned()
                    });
                    cells.push(bytes_rate(interval, d.alloc_bytes));
                    cells.push(net_rate(interval, d));
                }
            }
        } else {
            cells.resize(head.len() - 1, String::new());
        }
        cells.push(l.source.clone());
        row(cells)
    });
    let border = if app.in_lines {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new()
    };
    let mut table = Table::new(rows, widths).header(header(&head)).block(
        Block::new()
            .borders(Borders::TOP)
            .border_style(border)
            .title(title),
    );
    if app.in_lines {
        table = table
            .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
            .highlight_symbol("> ");
    }
    frame.render_stateful_widget(table, area, &mut app.lines_state);
}

/// An uptime: `12.3 s`, `4m05s`, `2h03m`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{:.1} s", d.as_secs_f64())
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Interval, count_rate};

    fn per_second() -> Interval {
        Interval {
            elapsed: Some(Duration::from_secs(1)),
            restarted: false,
            heap_counted: true,
            sampled: false,
            sample_interval_ns: None,
            functions: Vec::new(),
        }
    }

    #[test]
    fn counts_per_second_fit_their_column_whole() {
        let i = per_second();
        let shown: Vec<String> = [0, 12, 9_999, 10_000, 9_999_999, 11_794_307, 9_999_000_000]
            .into_iter()
            .map(|n| count_rate(&i, n))
            .collect();
        assert_eq!(
            shown,
            [
                "0.0", "12.0", "9999.0", "10000", "9999999", "11.8M", "9999.0M"
            ]
        );
        assert_eq!(count_rate(&i, 12_345_678_901), "1.23e10");
        assert!(shown.iter().all(|s| s.len() <= 9));
    }
}
