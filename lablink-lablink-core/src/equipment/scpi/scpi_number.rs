//! Formatting numbers the way instruments print them.

/// Formats `value` in scientific notation with a signed, two-digit exponent.
///
/// `precision` digits follow the decimal point; `uppercase` picks `E` over `e`; `signed` adds
/// `+` before non-negative values.
///
/// ```
/// use lablink_core::equipment::scpi::format_scientific;
///
/// assert_eq!(format_scientific(3.0, 6, false, false), "3.000000e+00"); // RIGOL style
/// assert_eq!(format_scientific(5.0012, 8, true, true), "+5.00120000E+00"); // Keysight style
/// assert_eq!(format_scientific(-0.0015, 3, true, false), "-1.500E-03");
/// ```
pub fn format_scientific(value: f64, precision: usize, uppercase: bool, signed: bool) -> String {
    let plain = format!("{value:.precision$e}");
    let Some((mantissa, exponent)) = plain.split_once('e') else {
        return plain;
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return plain;
    };
    let sign = if signed && !mantissa.starts_with('-') {
        "+"
    } else {
        ""
    };
    let marker = if uppercase { 'E' } else { 'e' };
    let exponent_sign = if exponent < 0 { '-' } else { '+' };
    format!(
        "{sign}{mantissa}{marker}{exponent_sign}{:02}",
        exponent.unsigned_abs()
    )
}
