/// Why a consent directive or policy cannot be accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConsentError {
    #[error("not a valid consent directive: {0}")]
    InvalidDirective(String),
    #[error(
        "unknown purpose of use `{0}`; expected one of TREAT, ETREAT, HPAYMT, HOPERAT, PUBHLTH, HRESCH"
    )]
    UnknownPurpose(String),
    #[error("unknown sensitivity category `{0}`; expected one of ETH, PSY, HIV, GDIS, SDV, SEX")]
    UnknownCategory(String),
    #[error("not a valid grant: {0}")]
    InvalidGrant(String),
}
