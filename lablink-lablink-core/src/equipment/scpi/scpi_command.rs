//! Parsing a SCPI command line and matching its header against patterns.

use super::ScpiError;

/// A parsed SCPI command: header nodes, query flag and parameters.
///
/// ```
/// use lablink_core::equipment::scpi::ScpiCommand;
///
/// let command = ScpiCommand::parse(":meas:freq? CHAN2")?;
/// assert!(command.is_query());
/// assert!(command.matches(":MEASure:FREQuency?").is_some());
/// assert_eq!(command.arguments(), ["CHAN2"]);
///
/// let command = ScpiCommand::parse(":CHAN3:SCAL 0.5")?;
/// assert_eq!(command.matches(":CHANnel#:SCALe"), Some(vec![3]));
/// # Ok::<(), lablink_core::equipment::ScpiError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScpiCommand {
    nodes: Vec<String>,
    common: bool,
    query: bool,
    arguments: Vec<String>,
}

impl ScpiCommand {
    /// Parses one command (no `;`-separated lists).
    ///
    /// # Errors
    ///
    /// [`ScpiError::SyntaxError`] for an empty command, an empty header node or an empty
    /// parameter.
    pub fn parse(text: &str) -> Result<Self, ScpiError> {
        let text = text.trim();
        let (header, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let query = header.ends_with('?');
        let header = header.strip_suffix('?').unwrap_or(header);
        let common = header.starts_with('*');
        let nodes: Vec<String> = if common {
            vec![header.to_ascii_uppercase()]
        } else {
            header
                .strip_prefix(':')
                .unwrap_or(header)
                .split(':')
                .map(str::to_ascii_uppercase)
                .collect()
        };
        if nodes.iter().any(|node| node.is_empty() || node == "*") {
            return Err(ScpiError::SyntaxError);
        }
        let rest = rest.trim();
        let arguments: Vec<String> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split(',').map(|arg| arg.trim().to_owned()).collect()
        };
        if arguments.iter().any(String::is_empty) {
            return Err(ScpiError::SyntaxError);
        }
        Ok(Self {
            nodes,
            common,
            query,
            arguments,
        })
    }

    /// Whether the command ends in `?`.
    pub fn is_query(&self) -> bool {
        self.query
    }

    /// The parameters, trimmed, in order.
    pub fn arguments(&self) -> &[String] {
        &self.arguments
    }

    /// Matches the header against a pattern, returning the numeric suffixes of `#` nodes.
    ///
    /// Pattern syntax: nodes separated by `:`, each in SCPI mixed case (`MEASure` accepts `MEAS`
    /// and `MEASURE`); `[:NODE]` is optional; a trailing `#` takes a numeric suffix (default 1);
    /// a trailing `?` requires a query, its absence requires a setting; `*IDN?`-style common
    /// commands match literally.
    pub fn matches(&self, pattern: &str) -> Option<Vec<u32>> {
        let pattern_query = pattern.ends_with('?');
        let pattern = pattern.strip_suffix('?').unwrap_or(pattern);
        if pattern_query != self.query {
            return None;
        }
        if let Some(common) = pattern.strip_prefix('*') {
            let expected = common.to_ascii_uppercase();
            let actual = self.nodes.first().and_then(|node| node.strip_prefix('*'));
            return (self.common && actual == Some(expected.as_str())).then(Vec::new);
        }
        if self.common {
            return None;
        }
        let pattern_nodes = parse_pattern(pattern);
        let mut suffixes = Vec::new();
        match_nodes(&pattern_nodes, &self.nodes, &mut suffixes).then_some(suffixes)
    }

    /// Checks that the command has no parameters.
    ///
    /// # Errors
    ///
    /// [`ScpiError::ParameterNotAllowed`].
    pub fn expect_no_arguments(&self) -> Result<(), ScpiError> {
        if self.arguments.is_empty() {
            Ok(())
        } else {
            Err(ScpiError::ParameterNotAllowed)
        }
    }

    /// Returns the only parameter.
    ///
    /// # Errors
    ///
    /// [`ScpiError::MissingParameter`] or [`ScpiError::ParameterNotAllowed`].
    pub fn single_argument(&self) -> Result<&str, ScpiError> {
        match self.arguments.as_slice() {
            [] => Err(ScpiError::MissingParameter),
            [argument] => Ok(argument),
            _ => Err(ScpiError::ParameterNotAllowed),
        }
    }

    /// Returns the parameter if there is exactly one, `None` if there is none.
    ///
    /// # Errors
    ///
    /// [`ScpiError::ParameterNotAllowed`] for two or more.
    pub fn optional_argument(&self) -> Result<Option<&str>, ScpiError> {
        match self.arguments.as_slice() {
            [] => Ok(None),
            [argument] => Ok(Some(argument)),
            _ => Err(ScpiError::ParameterNotAllowed),
        }
    }
}

/// One node of a header pattern.
struct PatternNode<'a> {
    mnemonic: &'a str,
    optional: bool,
    numeric_suffix: bool,
}

/// Splits a pattern such as `:TIMebase[:MAIN]:SCALe` into nodes.
fn parse_pattern(pattern: &str) -> Vec<PatternNode<'_>> {
    let mut nodes = Vec::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        let (text, optional, remainder) = if let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']').unwrap_or(inner.len());
            (&inner[..end], true, inner.get(end + 1..).unwrap_or(""))
        } else {
            let body = rest.strip_prefix(':').unwrap_or(rest);
            let end = body.find([':', '[']).unwrap_or(body.len());
            (&body[..end], false, &body[end..])
        };
        let text = text.strip_prefix(':').unwrap_or(text);
        if !text.is_empty() {
            let numeric_suffix = text.ends_with('#');
            nodes.push(PatternNode {
                mnemonic: text.trim_end_matches('#'),
                optional,
                numeric_suffix,
            });
        }
        rest = remainder;
    }
    nodes
}

/// Matches header nodes against pattern nodes, trying optional nodes both ways.
fn match_nodes(pattern: &[PatternNode<'_>], nodes: &[String], suffixes: &mut Vec<u32>) -> bool {
    let Some((first, pattern_rest)) = pattern.split_first() else {
        return nodes.is_empty();
    };
    if let Some((node, nodes_rest)) = nodes.split_first() {
        let saved = suffixes.len();
        if let Some(suffix) = match_mnemonic(first, node) {
            suffixes.extend(suffix);
            if match_nodes(pattern_rest, nodes_rest, suffixes) {
                return true;
            }
            suffixes.truncate(saved);
        }
    }
    first.optional && match_nodes(pattern_rest, nodes, suffixes)
}

/// Matches one upper-cased header node; `Some(Some(n))` carries a numeric suffix.
fn match_mnemonic(pattern: &PatternNode<'_>, node: &str) -> Option<Option<u32>> {
    let (name, suffix) = if pattern.numeric_suffix {
        let digits_start = node
            .rfind(|c: char| !c.is_ascii_digit())
            .map_or(0, |index| index + 1);
        let suffix = if digits_start == node.len() {
            1
        } else {
            node[digits_start..].parse().ok()?
        };
        (&node[..digits_start], Some(suffix))
    } else {
        (node, None)
    };
    let long_form = pattern.mnemonic.to_ascii_uppercase();
    let short_form: String = pattern
        .mnemonic
        .chars()
        .filter(|c| !c.is_ascii_lowercase())
        .collect();
    (name == long_form || name == short_form).then_some(suffix)
}

/// Parses a numeric parameter (decimal or scientific notation).
///
/// # Errors
///
/// [`ScpiError::DataTypeError`] for text that is not a finite number.
pub fn parse_number(argument: &str) -> Result<f64, ScpiError> {
    argument
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())
        .ok_or(ScpiError::DataTypeError)
}

/// Parses a boolean parameter: `ON`/`1` or `OFF`/`0`, any case.
///
/// # Errors
///
/// [`ScpiError::IllegalParameterValue`] for anything else.
pub fn parse_bool(argument: &str) -> Result<bool, ScpiError> {
    match argument.to_ascii_uppercase().as_str() {
        "ON" | "1" => Ok(true),
        "OFF" | "0" => Ok(false),
        _ => Err(ScpiError::IllegalParameterValue),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_nodes_and_forms() {
        let pattern = ":TIMebase[:MAIN]:SCALe?";
        for text in [":TIM:SCAL?", "timebase:main:scale?", ":TIMEBASE:SCALE?"] {
            assert!(
                ScpiCommand::parse(text).unwrap().matches(pattern).is_some(),
                "{text}"
            );
        }
        for text in [":TIM:SCA?", ":TIM:SCAL", ":TIMEB:SCAL?"] {
            assert!(
                ScpiCommand::parse(text).unwrap().matches(pattern).is_none(),
                "{text}"
            );
        }
    }

    #[test]
    fn common_commands_and_syntax_errors() {
        assert!(
            ScpiCommand::parse("*idn?")
                .unwrap()
                .matches("*IDN?")
                .is_some()
        );
        assert!(
            ScpiCommand::parse("*IDN")
                .unwrap()
                .matches("*IDN?")
                .is_none()
        );
        assert_eq!(ScpiCommand::parse("   "), Err(ScpiError::SyntaxError));
        assert_eq!(ScpiCommand::parse(":A::B"), Err(ScpiError::SyntaxError));
        assert_eq!(
            ScpiCommand::parse(":VOLT 1,,2"),
            Err(ScpiError::SyntaxError)
        );
    }

    #[test]
    fn numeric_suffix_defaults_to_one() {
        let command = ScpiCommand::parse(":CHANnel:DISP?").unwrap();
        assert_eq!(command.matches(":CHANnel#:DISPlay?"), Some(vec![1]));
    }
}
