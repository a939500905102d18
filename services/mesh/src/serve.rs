//! Running a service's servers and background tasks as one unit that stops
//! together: every task gets a [`Shutdown`] signal, and [`Running::stop`]
//! fires it and waits for all of them.

use std::future::Future;

use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinSet;

#[derive(Debug, Error)]
#[error("{task}: {message}")]
pub struct TaskError {
    pub task: &'static str,
    pub message: String,
}

/// Resolves once the service is asked to stop.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    pub async fn requested(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// The tasks of a running service.
#[derive(Debug)]
pub struct Running {
    stop: watch::Sender<bool>,
    tasks: JoinSet<(&'static str, Result<(), String>)>,
}

impl Default for Running {
    fn default() -> Self {
        Self {
            stop: watch::channel(false).0,
            tasks: JoinSet::new(),
        }
    }
}

impl Running {
    pub fn shutdown(&self) -> Shutdown {
        Shutdown(self.stop.subscribe())
    }

    /// Run `task` until it ends; it should end soon after [`Running::shutdown`] fires.
    pub fn spawn<F>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.tasks.spawn(async move { (name, task.await) });
    }

    /// Ask every task to stop, and wait for them.
    pub async fn stop(self) -> Result<(), TaskError> {
        let _ = self.stop.send(true);
        self.wait().await
    }

    /// Wait until every task has ended; the first failure is returned.
    pub async fn wait(self) -> Result<(), TaskError> {
        let Running { stop, mut tasks } = self;
        let mut first_error = None;
        while let Some(joined) = tasks.join_next().await {
            let (task, outcome) = match joined {
                Ok(done) => done,
                Err(e) => ("task", Err(format!("task failed: {e}"))),
            };
            if let Err(message) = outcome {
                // One task failing stops the others: a half-running service
                // would look healthy while doing half its job.
                let _ = stop.send(true);
                first_error.get_or_insert(TaskError { task, message });
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
