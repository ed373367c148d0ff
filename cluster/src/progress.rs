//! Progress of the long commands (`migrate`, `keys rotate`, `backup`, `restore`): a bar
//! or a spinner on standard error when it is a terminal (indicatif), and plain lines
//! on standard output otherwise — a log file, a pipe, a Kubernetes job — before the
//! command's answer, so that standard error keeps only a failure's one line.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// One long operation's progress.
pub struct Progress {
    what: &'static str,
    total: Option<u64>,
    done: u64,
    started: Instant,
    /// The bar on a terminal; `None` writes lines.
    bar: Option<ProgressBar>,
    /// The last tenth written as a line (plain mode).
    tenth: u64,
}

impl Progress {
    /// `total` steps of `what` (a count the bar shows as `done/total`).
    pub fn counted(what: &'static str, total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_message(what);
            bar
        });
        if bar.is_none() {
            println!("{what}: 0/{total}");
        }
        Progress {
            what,
            total: Some(total),
            done: 0,
            started: Instant::now(),
            bar,
            tenth: 0,
        }
    }

    /// `what`, of no known length (a spinner on a terminal).
    pub fn spinner(what: &'static str) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(what);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        if bar.is_none() {
            println!("{what}…");
        }
        Progress {
            what,
            total: None,
            done: 0,
            started: Instant::now(),
            bar,
            tenth: 0,
        }
    }

    /// One more step done.
    pub fn step(&mut self) {
        self.done += 1;
        match (&self.bar, self.total) {
            (Some(bar), _) => bar.inc(1),
            (None, Some(total)) if total > 0 => {
                // A line at each tenth, so that a long run is followed without flooding.
                let tenth = self.done * 10 / total;
                if tenth > self.tenth && self.done < total {
                    self.tenth = tenth;
                    println!("{}: {}/{total}", self.what, self.done);
                }
            }
            (None, _) => {}
        }
    }

    /// Done: the bar is cleared and one line says how it ended.
    pub fn finish(mut self, outcome: &str) {
        let seconds = self.started.elapsed().as_secs_f64();
        let line = match self.total {
            Some(total) => format!(
                "{}: {}/{total}, {outcome} ({seconds:.1} s)",
                self.what, self.done
            ),
            None => format!("{}: {outcome} ({seconds:.1} s)", self.what),
        };
        match self.bar.take() {
            Some(bar) => {
                bar.finish_and_clear();
                eprintln!("{line}");
            }
            None => println!("{line}"),
        }
    }
}

impl Drop for Progress {
    /// Ended by an error (the command's message follows): the bar goes away.
    fn drop(&mut self) {
        if let Some(bar) = &self.bar
            && !bar.is_finished()
        {
            bar.finish_and_clear();
        }
    }
}
