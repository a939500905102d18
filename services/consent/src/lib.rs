//! Consent: what one organization may release to another about a patient.
//!
//! This crate is the only place in Continuum that decides consent. The
//! locator calls [`decide`] once per holding organization for every fetch;
//! the holding node and the locator both check each resource against the
//! resulting [`Grant`] with [`Grant::allows`]. Nothing else may filter
//! records for consent.
//!
//! The rules (the property tests hold the decision to them, item by item):
//!
//! * A provision *applies* to a request when its period holds the request's
//!   time, its recipients (if any) include the requesting organization, its
//!   custodians (if any) include the holding organization, and its purposes
//!   (if any) include the request's purpose. Only active directives count.
//! * A resource is an item of type `T` carrying labels `L` (its own labels
//!   plus those of the holding organization). An applicable provision
//!   *covers* it when its types are empty or contain `T`, and its labels are
//!   empty or share one with `L`.
//! * **Deny wins**: an item covered by an applicable deny is never released,
//!   break-the-glass or not (a patient's explicit refusal stands).
//! * Otherwise the item is released when (a) the network is opt-out, or the
//!   glass is broken, or an applicable permit covers it; and (b) for each of
//!   its labels the network policy shields, the glass is broken or an
//!   applicable permit covering `T` names that label.
//! * A holding organization is *permitted* when at least one item could be
//!   released from it; otherwise it is denied, and must stay invisible.
//!
//! No I/O, no clock: the request carries the time.

#![forbid(unsafe_code)]

mod decision;
mod directive;
mod error;
pub mod fhir;
mod grant;
mod labels;
mod policy;
pub mod wire;

pub use decision::{Decision, Request, decide};
pub use directive::{Directive, Effect, Period, Provision, ProvisionRef};
pub use error::ConsentError;
pub use grant::{Clause, Grant};
pub use labels::LabelSet;
pub use policy::{Mode, NetworkPolicy, Purpose};
