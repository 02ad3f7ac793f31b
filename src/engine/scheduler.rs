//! The poll loop. (Being written.)

use super::{Command, EngineConfig, EventSink};
use crate::api::ApiClient;
use crate::store::Store;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use tokio::sync::mpsc;

pub(super) struct Parts {
    pub client: ApiClient,
    pub store: Arc<Store>,
    pub config: EngineConfig,
    pub sink: EventSink,
    pub commands: mpsc::UnboundedReceiver<Command>,
    pub commands_tx: mpsc::UnboundedSender<Command>,
    pub downloads_running: Arc<AtomicUsize>,
}

pub(super) fn spawn(parts: Parts) {
    tokio::spawn(async move {
        let mut parts = parts;
        while parts.commands.recv().await.is_some() {}
    });
}
