//! SCPI error codes (IEEE 488.2 / SCPI-99 command and execution errors).

/// A standard SCPI error; `Display` gives the instrument's wording, e.g. `-113,"Undefined header"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ScpiError {
    /// -102: the command text is empty or cannot be split into header and parameters.
    #[error("-102,\"Syntax error\"")]
    SyntaxError,
    /// -104: a parameter is of the wrong type (e.g. text where a number is expected).
    #[error("-104,\"Data type error\"")]
    DataTypeError,
    /// -108: more parameters than the command takes.
    #[error("-108,\"Parameter not allowed\"")]
    ParameterNotAllowed,
    /// -109: a required parameter is missing.
    #[error("-109,\"Missing parameter\"")]
    MissingParameter,
    /// -113: the header is not a command of this instrument.
    #[error("-113,\"Undefined header\"")]
    UndefinedHeader,
    /// -114: a numeric suffix (e.g. the 5 of `CHANnel5`) is out of range.
    #[error("-114,\"Header suffix out of range\"")]
    HeaderSuffixOutOfRange,
    /// -222: a numeric parameter is outside the instrument's range.
    #[error("-222,\"Data out of range\"")]
    DataOutOfRange,
    /// -224: a parameter is not one of the accepted values.
    #[error("-224,\"Illegal parameter value\"")]
    IllegalParameterValue,
}

impl ScpiError {
    /// The numeric SCPI error code, e.g. -113.
    pub fn code(self) -> i16 {
        match self {
            Self::SyntaxError => -102,
            Self::DataTypeError => -104,
            Self::ParameterNotAllowed => -108,
            Self::MissingParameter => -109,
            Self::UndefinedHeader => -113,
            Self::HeaderSuffixOutOfRange => -114,
            Self::DataOutOfRange => -222,
            Self::IllegalParameterValue => -224,
        }
    }
}
