//! Carrying out what `App::handle` asked for. This is the only part of the
//! dashboard that touches the engine or the clipboard. Store writes
//! (submitting a task is an SQLite insert) run on a blocking thread, never
//! on the UI task; their results come back through the message queue.

use super::app::{Command, Message};
use super::clipboard::Clipboard;
use crate::engine::{Engine, SubmitError};
use tokio::sync::mpsc::UnboundedSender;

pub struct Effects {
    engine: Option<Engine>,
    clipboard: Box<dyn Clipboard>,
    tx: UnboundedSender<Message>,
}

impl Effects {
    /// `tx` is the dashboard's own queue: results arrive as messages.
    pub fn new(
        engine: Option<Engine>,
        clipboard: Box<dyn Clipboard>,
        tx: UnboundedSender<Message>,
    ) -> Effects {
        Effects {
            engine,
            clipboard,
            tx,
        }
    }

    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    /// Runs one command. `Redraw` and `Quit` are the loop's own business and
    /// do nothing here.
    pub fn run(&mut self, command: Command) {
        match command {
            Command::Redraw | Command::Quit => {}
            Command::Submit(request) => {
                let stopped = Message::Submitted(Err(SubmitError::Stopped));
                self.on_blocking_thread(stopped, move |engine| {
                    Message::Submitted(engine.submit(request))
                });
            }
            Command::Resubmit(from) => {
                let stopped = Message::Resubmitted {
                    from,
                    result: Err(SubmitError::Stopped),
                };
                self.on_blocking_thread(stopped, move |engine| Message::Resubmitted {
                    from,
                    result: engine.resubmit(from),
                });
            }
            Command::Copy(url) => {
                let result = self.clipboard.copy(&url);
                let _ = self.tx.send(Message::Copied { url, result });
            }
            Command::Download(id) => {
                if let Some(engine) = &self.engine {
                    engine.download(id, None);
                }
            }
            Command::DownloadAll => {
                if let Some(engine) = &self.engine {
                    engine.download_all();
                }
            }
            Command::Resume => {
                if let Some(engine) = &self.engine {
                    engine.resume();
                }
            }
        }
    }

    /// Runs `work` off the UI task and queues its answer. Without an engine
    /// the answer is "stopped", at once.
    fn on_blocking_thread(
        &self,
        stopped: Message,
        work: impl FnOnce(&Engine) -> Message + Send + 'static,
    ) {
        let tx = self.tx.clone();
        let Some(engine) = self.engine.clone() else {
            let _ = tx.send(stopped);
            return;
        };
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(work(&engine));
        });
    }
}
