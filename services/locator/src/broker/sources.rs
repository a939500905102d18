//! Asking one holding node for what it may release: with a deadline, a
//! bounded number of calls in flight per node, one reused mTLS channel per
//! node, and every resource checked against the grant again on arrival.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use continuum_consent::Grant;
use continuum_mesh::tls::NodeId;
use continuum_proto::node::v1::DiscloseRequest;
use continuum_proto::node::v1::federation_client::FederationClient;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tonic::transport::Channel;

use crate::directory::model::Node;
use crate::federation::NodeDialer;

/// A node at an endpoint (a moved node gets a new channel).
type NodeAt = (String, String);

/// How asking one source ended.
#[derive(Debug)]
pub enum Answer {
    /// Everything it released, checked.
    Complete(Vec<Value>),
    TimedOut,
    Unavailable(String),
}

#[derive(Debug)]
pub struct SourceReply {
    pub answer: Answer,
    pub elapsed: Duration,
}

#[derive(Debug, Clone)]
pub struct Sources {
    dialer: NodeDialer,
    per_node: usize,
    /// One channel per node and endpoint (HTTP/2 multiplexes the calls).
    channels: Arc<Mutex<HashMap<NodeAt, FederationClient<Channel>>>>,
    permits: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl Sources {
    pub fn new(dialer: NodeDialer, per_node: usize) -> Self {
        Self {
            dialer,
            per_node,
            channels: Arc::default(),
            permits: Arc::default(),
        }
    }

    /// Ask `node` to disclose, giving up at `deadline`.
    pub async fn ask(
        &self,
        node: &Node,
        request: DiscloseRequest,
        grant: &Grant,
        deadline: Instant,
    ) -> SourceReply {
        let started = Instant::now();
        let answer = match tokio::time::timeout_at(
            deadline,
            self.call(node, request, grant, deadline),
        )
        .await
        {
            Ok(Ok(resources)) => Answer::Complete(resources),
            // The call carries the deadline too (grpc-timeout), and may end
            // on it a moment before the timer here does.
            Ok(Err(_)) if Instant::now() >= deadline => Answer::TimedOut,
            Ok(Err(detail)) => Answer::Unavailable(detail),
            Err(_) => Answer::TimedOut,
        };
        SourceReply {
            answer,
            elapsed: started.elapsed(),
        }
    }

    async fn call(
        &self,
        node: &Node,
        request: DiscloseRequest,
        grant: &Grant,
        deadline: Instant,
    ) -> Result<Vec<Value>, String> {
        let semaphore = self.semaphore(&node.id);
        let _permit = semaphore
            .acquire_owned()
            .await
            .map_err(|_| "the locator is shutting down".to_owned())?;
        let mut client = self.client(node)?;
        let tenant = request.tenant.clone();
        let mut call = tonic::Request::new(request);
        call.set_timeout(deadline.saturating_duration_since(Instant::now()));
        let mut stream = client
            .disclose(call)
            .await
            .map_err(|status| format!("{}: {}", status.code(), status.message()))?
            .into_inner();
        let mut released = Vec::new();
        while let Some(item) = stream
            .message()
            .await
            .map_err(|status| format!("{}: {}", status.code(), status.message()))?
        {
            let resource: Value = serde_json::from_str(&item.resource_json)
                .map_err(|e| format!("the node sent a resource that is not JSON: {e}"))?;
            if grant.allows_resource(&resource) {
                released.push(resource);
            } else {
                // The node's own check should have stopped it: a node
                // fault, never passed on.
                tracing::warn!(
                    node = %node.id,
                    tenant = %tenant,
                    resource_type = resource["resourceType"].as_str().unwrap_or("?"),
                    "a node released a resource its grant does not allow; dropped"
                );
            }
        }
        Ok(released)
    }

    fn semaphore(&self, node: &NodeId) -> Arc<Semaphore> {
        let mut permits = self.permits.lock().unwrap_or_else(|p| p.into_inner());
        permits
            .entry(node.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_node)))
            .clone()
    }

    fn client(&self, node: &Node) -> Result<FederationClient<Channel>, String> {
        let key = (node.id.to_string(), node.endpoint.clone());
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = channels.get(&key) {
            return Ok(client.clone());
        }
        let client = self
            .dialer
            .dial(node)
            .map_err(|e| format!("cannot reach {}: {e}", node.endpoint))?
            .max_decoding_message_size(MAX_RESOURCE_BYTES);
        channels.retain(|(id, _), _| id != node.id.as_str());
        channels.insert(key, client.clone());
        Ok(client)
    }
}

/// Largest single resource accepted from a node.
const MAX_RESOURCE_BYTES: usize = 16 * 1024 * 1024;
