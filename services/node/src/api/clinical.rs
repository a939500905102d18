//! The clinical gRPC service: translates requests to [`Records`] calls.

use std::pin::Pin;

use continuum_proto::node::v1 as pb;
use futures::Stream;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use continuum_identity::Permission;

use super::auth::Caller;
use super::sharing::SharingCalls;
use crate::records::{OnIdentifierMatch, Outcome, PreparedBundle, Records, WriteOutcome};
use crate::store::{PatientCriteria, StoredRow};
use continuum_proto::locator::v1 as locator_pb;

/// How many import results may wait for a slow client before the node stops
/// reading further bundles.
const IMPORT_RESULTS_BUFFER: usize = 4;

#[derive(Debug, Clone)]
pub struct ClinicalApi {
    records: Records,
    sharing: SharingCalls,
}

impl ClinicalApi {
    pub fn new(records: Records, sharing: SharingCalls) -> Self {
        Self { records, sharing }
    }
}

impl ClinicalApi {
    /// Store a new resource (of `expected_type`, when given). A resource whose
    /// identifier is already stored is refused, not merged.
    async fn create(
        &self,
        request: Request<pb::CreateResourceRequest>,
        expected_type: Option<&str>,
    ) -> Result<Response<pb::StoredResource>, Status> {
        let permission = match expected_type {
            Some(resource_type) => permission_to_write(resource_type),
            None => permission_to_write(&resource_type_of(&request.get_ref().resource_json)),
        };
        let caller = Caller::permitted(&request, permission)?;
        let json = request.into_inner().resource_json;
        let outcome = self
            .records
            .create(
                &caller.tenant,
                &json,
                expected_type,
                OnIdentifierMatch::Refuse,
            )
            .await?;
        Ok(Response::new(outcome.into()))
    }

    async fn update(
        &self,
        request: Request<pb::UpdateResourceRequest>,
    ) -> Result<Response<pb::StoredResource>, Status> {
        let permission = permission_to_write(&request.get_ref().resource_type);
        let caller = Caller::permitted(&request, permission)?;
        let body = request.into_inner();
        let outcome = self
            .records
            .update(
                &caller.tenant,
                &body.resource_type,
                &body.id,
                &body.resource_json,
                body.if_match_version,
            )
            .await?;
        Ok(Response::new(outcome.into()))
    }
}

type ImportStream = Pin<Box<dyn Stream<Item = Result<pb::ImportBundleResult, Status>> + Send>>;

#[tonic::async_trait]
impl pb::clinical_server::Clinical for ClinicalApi {
    async fn register_patient(
        &self,
        request: Request<pb::CreateResourceRequest>,
    ) -> Result<Response<pb::StoredResource>, Status> {
        self.create(request, Some("Patient")).await
    }

    async fn update_patient(
        &self,
        mut request: Request<pb::UpdateResourceRequest>,
    ) -> Result<Response<pb::StoredResource>, Status> {
        let body = request.get_mut();
        match body.resource_type.as_str() {
            "" | "Patient" => body.resource_type = "Patient".into(),
            _ => {
                return Err(Status::invalid_argument(
                    "UpdatePatient updates Patient resources only",
                ));
            }
        }
        self.update(request).await
    }

    async fn get_patient(
        &self,
        request: Request<pb::GetPatientRequest>,
    ) -> Result<Response<pb::StoredResource>, Status> {
        let caller = Caller::permitted(&request, Permission::FindPatients)?;
        let row = self
            .records
            .get(&caller.tenant, "Patient", &request.get_ref().id, None)
            .await?;
        Ok(Response::new(read(row)))
    }

    async fn search_patients(
        &self,
        request: Request<pb::SearchPatientsRequest>,
    ) -> Result<Response<pb::SearchPatientsResponse>, Status> {
        let caller = Caller::permitted(&request, Permission::FindPatients)?;
        let body = request.into_inner();
        let criteria = PatientCriteria {
            identifier: non_empty(body.identifier),
            name: non_empty(body.name),
            birth_date: non_empty(body.birth_date),
            limit: u64::from(body.limit),
        };
        let rows = self
            .records
            .search_patients(&caller.tenant, criteria)
            .await?;
        let patients = rows.into_iter().map(read).collect();
        Ok(Response::new(pb::SearchPatientsResponse { patients }))
    }

    async fn create_resource(
        &self,
        request: Request<pb::CreateResourceRequest>,
    ) -> Result<Response<pb::StoredResource>, Status> {
        self.create(request, None).await
    }

    async fn update_resource(
        &self,
        request: Request<pb::UpdateResourceRequest>,
    ) -> Result<Response<pb::StoredResource>, Status> {
        self.update(request).await
    }

    async fn get_resource(
        &self,
        request: Request<pb::GetResourceRequest>,
    ) -> Result<Response<pb::StoredResource>, Status> {
        let caller = Caller::permitted(&request, Permission::ReadCharts)?;
        let body = request.into_inner();
        let key = body
            .key
            .ok_or_else(|| Status::invalid_argument("`key` is required"))?;
        let row = self
            .records
            .get(&caller.tenant, &key.resource_type, &key.id, body.version)
            .await?;
        Ok(Response::new(read(row)))
    }

    async fn get_resource_history(
        &self,
        request: Request<pb::ResourceKey>,
    ) -> Result<Response<pb::ResourceHistory>, Status> {
        let caller = Caller::permitted(&request, Permission::ReadCharts)?;
        let key = request.into_inner();
        let rows = self
            .records
            .history(&caller.tenant, &key.resource_type, &key.id)
            .await?;
        Ok(Response::new(pb::ResourceHistory {
            versions: rows.into_iter().map(read).collect(),
        }))
    }

    async fn list_patient_resources(
        &self,
        request: Request<pb::ListPatientResourcesRequest>,
    ) -> Result<Response<pb::ListPatientResourcesResponse>, Status> {
        let caller = Caller::permitted(&request, Permission::ReadCharts)?;
        let body = request.into_inner();
        let from = non_empty(body.from_date);
        let to = non_empty(body.to_date);
        let rows = self
            .records
            .patient_resources(
                &caller.tenant,
                &body.patient_id,
                &body.resource_types,
                from.as_deref(),
                to.as_deref(),
            )
            .await?;
        Ok(Response::new(pb::ListPatientResourcesResponse {
            resources: rows.into_iter().map(read).collect(),
        }))
    }

    type ImportBundlesStream = ImportStream;

    async fn import_bundles(
        &self,
        request: Request<Streaming<pb::ImportBundleRequest>>,
    ) -> Result<Response<Self::ImportBundlesStream>, Status> {
        let caller = Caller::permitted(&request, Permission::ImportBundles)?;
        let mut bundles = request.into_inner();
        let records = self.records.clone();
        // Two stages, so that the two halves of an import use two cores:
        // validating and parsing the next bundle (CPU, on a blocking thread)
        // overlaps with writing the current one (database).
        let (prepared_tx, mut prepared_rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            while let Some(next) = bundles.next().await {
                let prepared = match next {
                    Ok(bundle) => prepare(bundle).await,
                    Err(status) => Err(status),
                };
                let failed = prepared.is_err();
                if prepared_tx.send(prepared).await.is_err() || failed {
                    break;
                }
            }
        });
        let (results, receiver) = tokio::sync::mpsc::channel(IMPORT_RESULTS_BUFFER);
        tokio::spawn(async move {
            while let Some(prepared) = prepared_rx.recv().await {
                let result = match prepared {
                    Ok((label, bundle)) => write_prepared(&records, &caller, label, bundle).await,
                    Err(status) => Err(status),
                };
                let failed = result.is_err();
                if results.send(result).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn put_consent(
        &self,
        request: Request<pb::CreateResourceRequest>,
    ) -> Result<Response<locator_pb::ConsentDirective>, Status> {
        self.sharing.put_consent(request).await
    }

    async fn fetch_outside_records(
        &self,
        request: Request<pb::FetchOutsideRecordsRequest>,
    ) -> Result<Response<locator_pb::FetchRecordsResponse>, Status> {
        self.sharing.fetch(request).await
    }

    async fn patient_access_report(
        &self,
        request: Request<pb::PatientAccessReportRequest>,
    ) -> Result<Response<locator_pb::AccessReportResponse>, Status> {
        self.sharing.access_report(request).await
    }

    async fn list_disclosures(
        &self,
        request: Request<pb::ListDisclosuresRequest>,
    ) -> Result<Response<pb::ListDisclosuresResponse>, Status> {
        self.sharing.list_disclosures(request).await
    }

    async fn export_patient(
        &self,
        request: Request<pb::ExportPatientRequest>,
    ) -> Result<Response<pb::ExportPatientResponse>, Status> {
        let caller = Caller::permitted(&request, Permission::ReadCharts)?;
        let export = self
            .records
            .export_patient(&caller.tenant, &request.get_ref().patient_id)
            .await?;
        Ok(Response::new(pb::ExportPatientResponse {
            bundle_json: export.bundle_json,
            resource_count: u32::try_from(export.resource_count).unwrap_or(u32::MAX),
        }))
    }
}

/// Patients are registered by the front desk; everything else is clinical data.
fn permission_to_write(resource_type: &str) -> Permission {
    match resource_type {
        "Patient" => Permission::RegisterPatients,
        _ => Permission::WriteClinicalData,
    }
}

/// The `resourceType` of a resource's JSON text; empty when unreadable (the
/// write itself then reports what is wrong).
fn resource_type_of(json: &str) -> String {
    #[derive(serde::Deserialize)]
    struct TypeOnly {
        #[serde(rename = "resourceType")]
        resource_type: String,
    }
    serde_json::from_str::<TypeOnly>(json)
        .map(|t| t.resource_type)
        .unwrap_or_default()
}

/// Validate and parse one uploaded bundle on a blocking thread.
async fn prepare(bundle: pb::ImportBundleRequest) -> Result<(String, PreparedBundle), Status> {
    let pb::ImportBundleRequest { bundle_json, label } = bundle;
    let prepared = tokio::task::spawn_blocking(move || PreparedBundle::prepare(&bundle_json))
        .await
        .map_err(|e| Status::internal(format!("bundle validation stopped: {e}")))?;
    match prepared {
        Ok(prepared) => Ok((label, prepared)),
        Err(e) => Err(labelled(Status::from(e), &label)),
    }
}

/// Name the bundle an error came from, when the client labelled it.
fn labelled(status: Status, label: &str) -> Status {
    match label {
        "" => status,
        label => Status::new(
            status.code(),
            format!("bundle `{label}`: {}", status.message()),
        ),
    }
}

/// Write one prepared bundle.
async fn write_prepared(
    records: &Records,
    caller: &Caller,
    label: String,
    bundle: PreparedBundle,
) -> Result<pb::ImportBundleResult, Status> {
    let summary = records
        .write_bundle(&caller.tenant, bundle)
        .await
        .map_err(|e| labelled(Status::from(e), &label))?;
    tracing::debug!(
        tenant = %caller.tenant,
        principal = %caller.principal(),
        kind = summary.kind.as_str(),
        created = summary.created,
        updated = summary.updated,
        unchanged = summary.unchanged,
        failed = summary.failed.len(),
        "bundle imported"
    );
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(pb::ImportBundleResult {
        label,
        bundle_type: summary.kind.as_str().to_owned(),
        created: count(summary.created),
        updated: count(summary.updated),
        unchanged: count(summary.unchanged),
        failed: summary
            .failed
            .into_iter()
            .map(|(entry, message)| pb::EntryError {
                entry: count(entry),
                message,
            })
            .collect(),
        locations: summary.locations,
    })
}

fn non_empty(text: String) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// A resource as read: no write outcome.
fn read(row: StoredRow) -> pb::StoredResource {
    stored(row, pb::WriteOutcome::Unspecified)
}

fn stored(row: StoredRow, outcome: pb::WriteOutcome) -> pb::StoredResource {
    pb::StoredResource {
        resource_json: row.content,
        resource_type: row.resource_type,
        id: row.id,
        version: row.version_id,
        outcome: outcome.into(),
    }
}

impl From<Outcome> for pb::StoredResource {
    fn from(written: Outcome) -> Self {
        let outcome = match written.outcome {
            WriteOutcome::Created => pb::WriteOutcome::Created,
            WriteOutcome::Updated => pb::WriteOutcome::Updated,
            WriteOutcome::Unchanged => pb::WriteOutcome::Unchanged,
        };
        stored(written.row, outcome)
    }
}
