//! The one mapping from node errors to gRPC status codes.

use tonic::Status;

use crate::NodeError;
use crate::store::StoreError;

impl From<NodeError> for Status {
    fn from(error: NodeError) -> Status {
        let message = error.to_string();
        match &error {
            NodeError::Store(StoreError::Ledger(_)) => {
                tracing::error!(error = %message, "release ledger append failed");
                return Status::unavailable(
                    "the release could not be recorded in the audit ledger; nothing was released",
                );
            }
            NodeError::ReceiptNotRecorded(_) => {
                tracing::error!(error = %message, "receipt ledger append failed");
                return Status::unavailable(
                    "the records received could not be recorded in this organization's audit \
                     ledger, so they are not shown; try again once it is writable",
                );
            }
            _ => {}
        }
        match code_of(&error) {
            tonic::Code::Internal => {
                tracing::error!(error = %message, "storage failure");
                Status::internal("the node could not complete the request; see its logs")
            }
            tonic::Code::Unavailable => {
                tracing::warn!(error = %message, "database unavailable");
                Status::unavailable("the node's database is unavailable; try again shortly")
            }
            code => Status::new(code, message),
        }
    }
}

fn code_of(error: &NodeError) -> tonic::Code {
    use tonic::Code;
    match error {
        NodeError::UnknownTenant(_) | NodeError::NotFound(_) => Code::NotFound,
        NodeError::Fhir(_)
        | NodeError::InvalidRequest(_)
        | NodeError::DanglingReference { .. }
        | NodeError::UnresolvedPlaceholder { .. } => Code::InvalidArgument,
        NodeError::AlreadyExists(_) => Code::AlreadyExists,
        NodeError::ConditionalMatch { .. } | NodeError::VersionConflict { .. } => {
            Code::FailedPrecondition
        }
        NodeError::InEntry { source, .. } => code_of(source),
        NodeError::Store(StoreError::Unavailable(_) | StoreError::Ledger(_))
        | NodeError::ReceiptNotRecorded(_) => Code::Unavailable,
        NodeError::NotInNetwork => Code::FailedPrecondition,
        NodeError::Store(_) | NodeError::Serve(_) | NodeError::Corrupt(_) => Code::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_errors_keep_the_code_of_their_cause() {
        let error = NodeError::DanglingReference {
            path: "Observation.subject.reference".into(),
            reference: "Patient/x".into(),
        }
        .in_entry(3);
        let status = Status::from(error);
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "bundle entry 3: Observation.subject.reference: `Patient/x` does not exist in this organization's records"
        );
    }

    #[test]
    fn a_release_the_ledger_refused_is_unavailable_and_says_nothing_was_released() {
        let status = Status::from(NodeError::Store(StoreError::Ledger(
            "the audit ledger could not be written or read: disk full".into(),
        )));
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert_eq!(
            status.message(),
            "the release could not be recorded in the audit ledger; nothing was released"
        );
    }

    #[test]
    fn storage_details_stay_in_the_logs() {
        let status = Status::from(NodeError::Store(StoreError::Database(
            "secret detail".into(),
        )));
        assert_eq!(status.code(), tonic::Code::Internal);
        assert!(!status.message().contains("secret"));
    }
}
