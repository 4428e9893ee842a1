//! Progress reports: a callback, a `watch` channel, or both.

use std::fmt;
use std::sync::Arc;

/// How far an upload has come.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Progress {
    /// Bytes sent: confirmed by the server, or handed to the connection in the chunk being
    /// sent. After a failure this restarts from the offset the server reports, so it can go
    /// back a little.
    pub sent: u64,
    /// The size of the whole upload.
    pub total: u64,
}

impl Progress {
    /// `sent / total`, between 0 and 1 (1 for an empty upload).
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.sent as f64 / self.total as f64
        }
    }
}

type Callback = Arc<dyn Fn(Progress) + Send + Sync>;

/// Where progress goes: every callback and channel that was set.
#[derive(Clone, Default)]
pub(crate) struct Reporter {
    callbacks: Vec<Callback>,
}

impl Reporter {
    pub(crate) fn add(&mut self, callback: impl Fn(Progress) + Send + Sync + 'static) {
        self.callbacks.push(Arc::new(callback));
    }

    pub(crate) fn add_channel(&mut self, sender: tokio::sync::watch::Sender<Progress>) {
        self.add(move |progress| {
            sender.send_replace(progress);
        });
    }

    pub(crate) fn report(&self, sent: u64, total: u64) {
        for callback in &self.callbacks {
            callback(Progress { sent, total });
        }
    }
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} progress listener(s)", self.callbacks.len())
    }
}

/// Generates the progress setters shared by the upload builders.
macro_rules! progress_setters {
    () => {
        /// Calls `callback` with the progress as bytes go out: during each chunk, and
        /// after each answer of the server.
        pub fn on_progress(
            mut self,
            callback: impl Fn($crate::upload::Progress) + Send + Sync + 'static,
        ) -> Self {
            self.progress.add(callback);
            self
        }

        /// Publishes the progress on a `watch` channel (the latest value wins, so a slow
        /// reader never holds the upload back).
        pub fn progress_channel(
            mut self,
            sender: tokio::sync::watch::Sender<$crate::upload::Progress>,
        ) -> Self {
            self.progress.add_channel(sender);
            self
        }
    };
}
pub(crate) use progress_setters;
