//! The patient's access report as a gRPC message, for operators and for the
//! patient's own organizations alike (what each may see is decided in
//! `crate::audit`).

use continuum_proto::locator::v1 as pb;

use crate::audit::{ReportedDisclosure, ReportedSource};
use crate::directory::model::timestamp;

pub(super) fn access_report_message(
    person_id: String,
    report: Vec<ReportedDisclosure>,
) -> pb::AccessReportResponse {
    pb::AccessReportResponse {
        person_id,
        entries: report.into_iter().map(entry).collect(),
    }
}

fn entry(d: ReportedDisclosure) -> pb::AccessReportEntry {
    let at = chrono::DateTime::from_timestamp_millis(d.recorded_at_ms)
        .map(timestamp)
        .unwrap_or_default();
    let requester_withheld = d.requester.is_none();
    let requester = d.requester.unwrap_or_default();
    let (break_glass_reason, review) = d
        .break_glass
        .as_ref()
        .map(|access| {
            (
                access.reason.clone().unwrap_or_default(),
                access.review.clone(),
            )
        })
        .unwrap_or_default();
    pb::AccessReportEntry {
        ledger_seq: d.seq,
        ledger_hash: d.hash,
        at,
        requester_tenant: requester.tenant,
        practitioner_id: requester.practitioner_id,
        practitioner_role: requester.role,
        practitioner_name: requester.name,
        practitioner_professional_id: requester.professional_id,
        requester_withheld,
        purpose: d.purpose,
        break_glass: d.break_glass.is_some(),
        break_glass_reason,
        sources: d.sources.into_iter().map(source).collect(),
        review,
        disclosure_id: d.disclosure_id,
    }
}

fn source(s: ReportedSource) -> pb::AccessReportSource {
    pb::AccessReportSource {
        withheld: s.tenant.is_none(),
        tenant: s.tenant.unwrap_or_default(),
        released: u32::try_from(s.released).unwrap_or(u32::MAX),
        categories: s.categories,
    }
}
