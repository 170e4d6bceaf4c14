//! Where snapshots come from: a running program asked with `SIGUSR1` (`--pid`), or a file a
//! program rewrites every `LABLINK_PROFILE_INTERVAL` seconds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use lablink_prof_runtime::profile::Profile;

use crate::error::CliError;
use crate::load;

/// How often a file is looked at while waiting for it to change.
const POLL: Duration = Duration::from_millis(10);

/// What identifies one version of a file: a program replaces its snapshot whole (a new file
/// renamed over the old), so a new version has a new inode and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    modified: SystemTime,
    len: u64,
    #[cfg(unix)]
    inode: u64,
}

impl FileStamp {
    /// The stamp of the file at `path`, `None` when there is none.
    pub fn of(path: &Path) -> Option<FileStamp> {
        let m = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            modified: m.modified().ok()?,
            len: m.len(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&m),
        })
    }

    /// A stamp for a file modified at `modified` (for tests).
    #[cfg(test)]
    pub fn at(modified: SystemTime) -> FileStamp {
        FileStamp {
            modified,
            len: 0,
            #[cfg(unix)]
            inode: 0,
        }
    }
}

/// A line's sampled on-CPU and off-CPU times (the model's `LineProfile::cpu_ns` and
/// `LineProfile::off_cpu_ns()`), present only in profiles recorded in the sampled mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampledLine {
    /// Time on a CPU, in nanoseconds.
    pub cpu_ns: Option<u64>,
    /// Time off the CPU (waiting), in nanoseconds.
    pub off_cpu_ns: Option<u64>,
}

/// Sampled times by function name and line.
pub type SampledLines = HashMap<(String, u32), SampledLine>;

/// One profile read from a snapshot file.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The profile.
    pub profile: Profile,
    /// Sampled times by function name and line, for lines that have them.
    pub sampled: SampledLines,
    /// The file's version it was read from.
    pub stamp: FileStamp,
    /// When this command read it.
    pub seen: Instant,
    /// When this command asked the program for it (with `--pid`).
    pub requested: Option<Instant>,
}

impl Snapshot {
    /// Reads the snapshot at `path` (once: the file may be replaced at any moment).
    ///
    /// # Errors
    /// [`CliError::Input`] naming the file when it cannot be read or is not a whole profile.
    pub fn read(path: &Path) -> Result<Snapshot, CliError> {
        let stamp = FileStamp::of(path)
            .ok_or_else(|| CliError::input(path, "cannot read it: no such file"))?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::input(path, format!("cannot read it: {e}")))?;
        let profile = load::parse_snapshot(path, &text)?;
        let mut sampled = HashMap::new();
        for f in &profile.functions {
            for l in &f.lines {
                if l.cpu_ns.is_some() {
                    let times = SampledLine {
                        cpu_ns: l.cpu_ns,
                        off_cpu_ns: l.off_cpu_ns(),
                    };
                    sampled.insert((f.name.clone(), l.line), times);
                }
            }
        }
        Ok(Snapshot {
            profile,
            sampled,
            stamp,
            seen: Instant::now(),
            requested: None,
        })
    }

    /// Time from `earlier` to this snapshot: with `--pid`, between the two requests (the
    /// program takes a snapshot as soon as the signal comes); with a file, the difference of
    /// its modification times (when the program wrote them; the kernel keeps them to a clock
    /// tick, a few ms), or of when they were read if the clock went back.
    pub fn elapsed_since(&self, earlier: &Snapshot) -> Duration {
        if let (Some(now), Some(then)) = (self.requested, earlier.requested) {
            return now.saturating_duration_since(then);
        }
        self.stamp
            .modified
            .duration_since(earlier.stamp.modified)
            .ok()
            .filter(|d| !d.is_zero())
            .unwrap_or_else(|| self.seen.duration_since(earlier.seen))
    }

    /// How long ago the program wrote it.
    pub fn age(&self) -> Duration {
        SystemTime::now()
            .duration_since(self.stamp.modified)
            .unwrap_or_else(|_| self.seen.elapsed())
    }
}

/// What asking for a snapshot gave.
#[derive(Debug)]
pub enum Update {
    /// A new snapshot.
    Snapshot(Box<Snapshot>),
    /// A new version of the file that is not a whole profile: skipped, and why.
    Skipped {
        /// The version skipped, so that it is not read again.
        stamp: Option<FileStamp>,
        /// What is wrong with it.
        problem: String,
    },
    /// No new snapshot in the time allowed, and why that may be.
    Late(String),
    /// The program has ended.
    Ended(String),
}

/// What `top` watches.
#[derive(Debug)]
pub enum Target {
    /// A running program, asked for snapshots with `SIGUSR1`.
    Process(process::Watched),
    /// A file a program rewrites.
    File(PathBuf),
}

impl Target {
    /// The file that `top FILE` follows.
    ///
    /// # Errors
    /// [`CliError::Input`] when `path` is a directory.
    pub fn file(path: &Path) -> Result<Target, CliError> {
        if path.is_dir() {
            return Err(CliError::input(path, "is a directory, not a profile"));
        }
        Ok(Target::File(path.to_owned()))
    }

    /// Attaches to process `pid`, waiting up to `timeout` for it to start recording.
    ///
    /// # Errors
    /// [`CliError::Process`] when there is no such process, it cannot be inspected, or it is
    /// not recording (nothing is sent to it then).
    pub fn process(pid: u32, timeout: Duration) -> Result<Target, CliError> {
        process::Watched::attach(pid, timeout).map(Target::Process)
    }

    /// What the footer calls the program: its name and pid, or the file.
    pub fn program(&self) -> String {
        match self {
            Target::Process(p) => p.describe(),
            Target::File(path) => path.display().to_string(),
        }
    }

    /// How long the program has been running, when known (not for a file).
    pub fn uptime(&mut self) -> Option<Duration> {
        match self {
            Target::Process(p) => p.uptime(),
            Target::File(_) => None,
        }
    }

    /// A snapshot newer than the version `last` (any, with `None`): for a process, asks for one
    /// and waits for it; for a file, waits for the program to rewrite it (the file as it is
    /// with `None`). Gives up after `timeout`.
    pub fn next(&mut self, last: Option<FileStamp>, timeout: Duration) -> Update {
        match self {
            Target::Process(p) => p.next(last, timeout),
            Target::File(path) => next_version(path, last, timeout, || None),
        }
    }
}

/// Waits until the file at `path` differs from `last`, then reads it; `ended` says whether the
/// program has ended (checked between looks).
fn next_version(
    path: &Path,
    last: Option<FileStamp>,
    timeout: Duration,
    mut ended: impl FnMut() -> Option<String>,
) -> Update {
    let deadline = Instant::now() + timeout;
    loop {
        let stamp = FileStamp::of(path);
        if stamp.is_some() && stamp != last {
            return match Snapshot::read(path) {
                Ok(s) => Update::Snapshot(Box::new(s)),
                Err(e) => Update::Skipped {
                    stamp,
                    problem: e.to_string(),
                },
            };
        }
        if let Some(why) = ended() {
            return Update::Ended(why);
        }
        if Instant::now() >= deadline {
            return Update::Late(match last {
                None if stamp.is_none() => format!("{} does not exist (yet)", path.display()),
                _ => format!(
                    "{} was not rewritten in {:.1} s",
                    path.display(),
                    timeout.as_secs_f64()
                ),
            });
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(target_os = "linux")]
pub mod process {
    //! A process on Linux, inspected through `/proc` and asked for snapshots with `SIGUSR1`.

    use std::ffi::OsStr;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    use procfs::process::Process;

    use super::{FileStamp, Update, next_version};
    use crate::error::CliError;

    /// The setting that turns recording on.
    const SETTING: &str = "LABLINK_PROFILING=1";

    /// A process being watched.
    #[derive(Debug)]
    pub struct Watched {
        pid: u32,
        name: String,
        /// Its start time in clock ticks after boot: tells it from a later process with its pid.
        start_ticks: u64,
        /// `LABLINK_PROFILE_OUT` as the process reads it (`{pid}` replaced), if set.
        out: Option<PathBuf>,
        /// Its uptime when it was found ended.
        ended_after: Option<Duration>,
        /// Where its snapshots went last (its working directory is gone with it).
        last_path: Option<PathBuf>,
    }

    fn error(pid: u32, problem: impl Into<String>) -> CliError {
        CliError::Process {
            pid,
            problem: problem.into(),
        }
    }

    /// Whether a `LABLINK_PROFILING` value turns recording on (as the runtime reads it).
    fn is_on(value: &OsStr) -> bool {
        let value = value.to_string_lossy();
        ["1", "true", "yes", "on"]
            .iter()
            .any(|t| value.trim().eq_ignore_ascii_case(t))
    }

    impl Watched {
        /// Finds process `pid`, checks that it records, and waits up to `timeout` for it to
        /// catch `SIGUSR1` (it does from its first profiled call on; before, the signal would
        /// end it).
        pub fn attach(pid: u32, timeout: Duration) -> Result<Watched, CliError> {
            let process =
                Process::new(pid as i32).map_err(|_| error(pid, "there is no such process"))?;
            let stat = process
                .stat()
                .map_err(|e| error(pid, format!("cannot read its /proc entry: {e}")))?;
            let env = process.environ().map_err(|e| {
                error(
                    pid,
                    format!(
                        "cannot read its environment (/proc/{pid}/environ: {e}); run top as \
                         the program's user"
                    ),
                )
            })?;
            let name = stat.comm.clone();
            match env.get(OsStr::new("LABLINK_PROFILING")) {
                Some(v) if is_on(v) => {}
                Some(v) => {
                    return Err(error(
                        pid,
                        format!(
                            "{name} is not recording: its environment has LABLINK_PROFILING={}; \
                             start it with {SETTING} (nothing was sent to it)",
                            v.to_string_lossy()
                        ),
                    ));
                }
                None => {
                    return Err(error(
                        pid,
                        format!(
                            "{name} is not recording: LABLINK_PROFILING is not in its \
                             environment; start it with {SETTING} (nothing was sent to it)"
                        ),
                    ));
                }
            }
            let out = env
                .get(OsStr::new("LABLINK_PROFILE_OUT"))
                .filter(|v| !v.is_empty())
                .map(|v| PathBuf::from(v.to_string_lossy().replace("{pid}", &pid.to_string())));
            let watched = Watched {
                pid,
                name,
                start_ticks: stat.starttime,
                out,
                ended_after: None,
                last_path: None,
            };
            let deadline = Instant::now() + timeout;
            loop {
                if let Some(why) = watched.gone() {
                    return Err(error(pid, why));
                }
                if watched.catches_sigusr1() {
                    return Ok(watched);
                }
                if Instant::now() >= deadline {
                    return Err(error(
                        pid,
                        format!(
                            "{} has {SETTING} but has not started recording in {:.1} s (no \
                             profiled function has run yet, so SIGUSR1 would end it; nothing \
                             was sent to it)",
                            watched.name,
                            timeout.as_secs_f64()
                        ),
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        /// `name (pid N)`.
        pub fn describe(&self) -> String {
            format!("{} (pid {})", self.name, self.pid)
        }

        /// Why the process is no longer there (ended, a zombie, or its pid reused), if it is not.
        fn gone(&self) -> Option<String> {
            let stat = Process::new(self.pid as i32).and_then(|p| p.stat());
            match stat {
                Err(_) => Some(format!("{} has ended", self.describe())),
                Ok(s) if s.starttime != self.start_ticks => {
                    Some(format!("{} has ended", self.describe()))
                }
                Ok(s) if matches!(s.state, 'Z' | 'X' | 'x') => {
                    Some(format!("{} has ended", self.describe()))
                }
                Ok(_) => None,
            }
        }

        /// Whether it has a handler for `SIGUSR1` (`SigCgt` in `/proc/PID/status`).
        fn catches_sigusr1(&self) -> bool {
            let bit = 1u64 << (Signal::SIGUSR1 as i32 - 1);
            Process::new(self.pid as i32)
                .and_then(|p| p.status())
                .is_ok_and(|s| s.sigcgt & bit != 0)
        }

        /// Where its snapshots go: `LABLINK_PROFILE_OUT`, else `lablink-profile-PID.json`,
        /// relative to its working directory.
        fn snapshot_path(&self) -> Result<PathBuf, String> {
            let file = self
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("lablink-profile-{}.json", self.pid)));
            if file.is_absolute() {
                return Ok(file);
            }
            let cwd = Process::new(self.pid as i32)
                .and_then(|p| p.cwd())
                .map_err(|e| format!("cannot read its working directory: {e}"))?;
            Ok(cwd.join(file))
        }

        /// Its uptime, from its start time in `/proc/PID/stat` and the system's uptime; fixed
        /// once it has ended.
        pub fn uptime(&mut self) -> Option<Duration> {
            if self.ended_after.is_some() {
                return self.ended_after;
            }
            use procfs::Current;
            let now = procfs::Uptime::current().ok()?.uptime;
            let started = self.start_ticks as f64 / procfs::ticks_per_second() as f64;
            let up = Duration::from_secs_f64((now - started).max(0.0));
            if self.gone().is_some() {
                self.ended_after = Some(up);
            }
            Some(up)
        }

        /// Asks for a snapshot with `SIGUSR1` and waits up to `timeout` for the file to change.
        /// Once the program has ended, a version newer than `last` that it wrote on the way
        /// out (the exit report, with `LABLINK_PROFILE_OUT`) is still read, once.
        pub fn next(&mut self, last: Option<FileStamp>, timeout: Duration) -> Update {
            let path = self.snapshot_path();
            if let Some(why) = self.gone() {
                self.uptime();
                if let Some(path) = path.as_ref().ok().or(self.last_path.as_ref()) {
                    let stamp = FileStamp::of(path);
                    if stamp.is_some() && stamp != last {
                        return next_version(path, last, Duration::ZERO, || None);
                    }
                }
                return Update::Ended(why);
            }
            let path = match path {
                Ok(p) => p,
                Err(problem) => return Update::Late(problem),
            };
            self.last_path = Some(path.clone());
            let before = FileStamp::of(&path);
            if !self.catches_sigusr1() {
                return Update::Late(format!(
                    "{} no longer catches SIGUSR1; not sending it",
                    self.describe()
                ));
            }
            let requested = Instant::now();
            if let Err(e) = kill(Pid::from_raw(self.pid as i32), Signal::SIGUSR1) {
                return Update::Late(format!("cannot signal {}: {e}", self.describe()));
            }
            let mut ended = || self.gone();
            let mut update = next_version(&path, before, timeout, &mut ended);
            if let Update::Snapshot(s) = &mut update {
                s.requested = Some(requested);
            }
            if let Update::Late(problem) = update {
                return Update::Late(format!(
                    "no snapshot after SIGUSR1: {problem}; is {} built with lablink-prof \
                     and recording?",
                    self.describe()
                ));
            }
            if matches!(update, Update::Ended(_)) {
                self.uptime();
            }
            update
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub mod process {
    //! Attaching to a process needs Linux's `/proc`; elsewhere `top` follows a file.

    use std::time::Duration;

    use super::Update;
    use crate::error::CliError;

    /// A process being watched (never made outside Linux).
    #[derive(Debug)]
    pub struct Watched(());

    impl Watched {
        /// Always an error outside Linux.
        pub fn attach(pid: u32, _timeout: Duration) -> Result<Watched, CliError> {
            Err(CliError::Process {
                pid,
                problem: "--pid needs Linux's /proc; follow the file the program rewrites \
                          instead (LABLINK_PROFILE_OUT with LABLINK_PROFILE_INTERVAL): \
                          lablink-prof top FILE"
                    .to_owned(),
            })
        }

        /// Never called.
        pub fn describe(&self) -> String {
            String::new()
        }

        /// Never called.
        pub fn uptime(&mut self) -> Option<Duration> {
            None
        }

        /// Never called.
        pub fn next(&mut self, _last: Option<super::FileStamp>, _timeout: Duration) -> Update {
            Update::Late(String::new())
        }
    }
}
