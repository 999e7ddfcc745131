//! `+CMS ERROR` (3GPP TS 27.005 §3.2.5) and `+CME ERROR` (3GPP TS 27.007 §9.2) codes.
//!
//! Both numeric (`+CMS ERROR: 314`) and verbose (`+CMS ERROR: SIM busy`, after `AT+CMEE=2`) forms parse to the
//! same variant; codes the table does not know are kept as `Other(n)`, verbose texts it does not know as
//! [`CmsError::Text`] / [`CmeError::Text`], and an error line with nothing after the colon (SIM800 does this)
//! as `Unspecified`.
//!
//! Classification ([`ErrorClass`]) tells the gateway what to do with a failed command or send:
//! retry later on the same modem, give up on this message, or treat the modem/SIM as unfit.

use std::fmt;

/// What a failure means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Temporary condition (busy, congestion, network timeout): the same request may succeed later.
    Transient,
    /// The request itself is wrong (bad PDU, bad number, barred destination): retrying it can never succeed.
    Permanent,
    /// The modem, SIM or its configuration is unfit (no SIM, PIN needed, SMSC unknown): another modem may succeed.
    Modem,
    /// No known meaning (unknown error, vendor codes).
    Unknown,
}

/// Normalises a verbose error text for comparison: lowercase ASCII, "(u)sim" → "sim", only letters and digits.
fn normalise(text: &str) -> String {
    let lower = text.to_ascii_lowercase().replace("(u)", "");
    lower
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

macro_rules! error_codes {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $text:literal, $class:ident; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = $text] $variant, )*
            /// A numeric code not in the table (kept verbatim).
            Other(u16),
            /// A verbose text not in the table (kept verbatim).
            Text(String),
            /// The modem printed the error prefix with no code or text after it.
            Unspecified,
        }

        impl $name {
            const TABLE: &'static [($name, u16, &'static str, ErrorClass)] = &[
                $( ($name::$variant, $code, $text, ErrorClass::$class), )*
            ];

            /// The variant for a numeric code; unknown codes become `Other(code)`.
            pub fn from_code(code: u16) -> Self {
                match code {
                    $( $code => $name::$variant, )*
                    other => $name::Other(other),
                }
            }

            /// The variant for a verbose text (`AT+CMEE=2`); matching ignores case, punctuation and "(U)".
            pub fn from_text(text: &str) -> Self {
                let wanted = normalise(text);
                if wanted.is_empty() {
                    return $name::Unspecified;
                }
                Self::TABLE
                    .iter()
                    .find(|(_, _, t, _)| normalise(t) == wanted)
                    .map(|(v, _, _, _)| v.clone())
                    .unwrap_or_else(|| $name::Text(text.trim().to_string()))
            }

            /// Parses what follows `ERROR:` — a number or a verbose text (surrounding spaces and quotes ignored).
            pub fn parse(rest: &str) -> Self {
                let rest = rest.trim().trim_matches('"').trim();
                if rest.is_empty() {
                    return $name::Unspecified;
                }
                match rest.parse::<u16>() {
                    Ok(code) => Self::from_code(code),
                    Err(_) => Self::from_text(rest),
                }
            }

            /// The numeric code, when there is one.
            pub fn code(&self) -> Option<u16> {
                match self {
                    $( $name::$variant => Some($code), )*
                    $name::Other(code) => Some(*code),
                    $name::Text(_) | $name::Unspecified => None,
                }
            }

            /// The meaning, as the standard words it.
            pub fn text(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )*
                    $name::Other(_) => Self::other_text(self.code().unwrap_or(0)),
                    $name::Text(text) => text,
                    $name::Unspecified => "no error code given",
                }
            }

            /// How the caller should react.
            pub fn class(&self) -> ErrorClass {
                match self {
                    $( $name::$variant => ErrorClass::$class, )*
                    $name::Other(code) => Self::other_class(*code),
                    $name::Text(_) | $name::Unspecified => ErrorClass::Unknown,
                }
            }

            /// Temporary: the same request may succeed later on the same modem.
            pub fn is_retryable(&self) -> bool {
                self.class() == ErrorClass::Transient
            }

            /// The request itself is wrong: never retry it, on any modem.
            pub fn is_permanent(&self) -> bool {
                self.class() == ErrorClass::Permanent
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.code() {
                    Some(code) => write!(f, "{} ({})", self.text(), code),
                    None => f.write_str(self.text()),
                }
            }
        }
    };
}

error_codes! {
    /// `+CMS ERROR` values: 0–127 RP causes (TS 24.011 Annex E.2), 128–255 TP-FCS (TS 23.040 §9.2.3.22),
    /// 300–340 and 500 from TS 27.005 §3.2.5; 512 and above are manufacturer specific (`Other`).
    CmsError {
        UnassignedNumber = 1 => "unassigned (unallocated) number", Permanent;
        OperatorDeterminedBarring = 8 => "operator determined barring", Permanent;
        CallBarred = 10 => "call barred", Permanent;
        NetworkFailure = 17 => "network failure", Transient;
        ShortMessageTransferRejected = 21 => "short message transfer rejected", Permanent;
        MemoryCapacityExceeded = 22 => "memory capacity exceeded", Transient;
        DestinationOutOfService = 27 => "destination out of service", Transient;
        UnidentifiedSubscriber = 28 => "unidentified subscriber", Permanent;
        FacilityRejected = 29 => "facility rejected", Permanent;
        UnknownSubscriber = 30 => "unknown subscriber", Permanent;
        NetworkOutOfOrder = 38 => "network out of order", Transient;
        TemporaryFailure = 41 => "temporary failure", Transient;
        Congestion = 42 => "congestion", Transient;
        ResourcesUnavailable = 47 => "resources unavailable, unspecified", Transient;
        RequestedFacilityNotSubscribed = 50 => "requested facility not subscribed", Modem;
        RequestedFacilityNotImplemented = 69 => "requested facility not implemented", Modem;
        InvalidTransferReference = 81 => "invalid short message transfer reference value", Transient;
        SemanticallyIncorrectMessage = 95 => "semantically incorrect message", Permanent;
        InvalidMandatoryInformation = 96 => "invalid mandatory information", Permanent;
        MessageTypeNonExistent = 97 => "message type non-existent or not implemented", Permanent;
        MessageNotCompatible = 98 => "message not compatible with short message protocol state", Transient;
        InformationElementNonExistent = 99 => "information element non-existent or not implemented", Permanent;
        ProtocolError = 111 => "protocol error, unspecified", Transient;
        InterworkingUnspecified = 127 => "interworking, unspecified", Unknown;
        TelematicInterworkingNotSupported = 128 => "telematic interworking not supported", Permanent;
        ShortMessageType0NotSupported = 129 => "short message type 0 not supported", Permanent;
        CannotReplaceShortMessage = 130 => "cannot replace short message", Permanent;
        UnspecifiedTpPidError = 143 => "unspecified TP-PID error", Permanent;
        DataCodingSchemeNotSupported = 144 => "data coding scheme (alphabet) not supported", Permanent;
        MessageClassNotSupported = 145 => "message class not supported", Permanent;
        UnspecifiedTpDcsError = 159 => "unspecified TP-DCS error", Permanent;
        CommandCannotBeActioned = 160 => "command cannot be actioned", Permanent;
        CommandUnsupported = 161 => "command unsupported", Permanent;
        UnspecifiedTpCommandError = 175 => "unspecified TP-Command error", Permanent;
        TpduNotSupported = 176 => "TPDU not supported", Permanent;
        ScBusy = 192 => "SC busy", Transient;
        NoScSubscription = 193 => "no SC subscription", Modem;
        ScSystemFailure = 194 => "SC system failure", Transient;
        InvalidSmeAddress = 195 => "invalid SME address", Permanent;
        DestinationSmeBarred = 196 => "destination SME barred", Permanent;
        RejectedDuplicate = 197 => "SM rejected-duplicate SM", Permanent;
        TpVpfNotSupported = 198 => "TP-VPF not supported", Permanent;
        TpVpNotSupported = 199 => "TP-VP not supported", Permanent;
        SimStorageFull = 208 => "(U)SIM SMS storage full", Modem;
        NoSimStorage = 209 => "no SMS storage capability in (U)SIM", Modem;
        ErrorInMs = 210 => "error in MS", Unknown;
        MemoryCapacityExceededInMs = 211 => "memory capacity exceeded in MS", Modem;
        SimToolkitBusy = 212 => "(U)SIM application toolkit busy", Transient;
        SimDataDownloadError = 213 => "(U)SIM data download error", Unknown;
        UnspecifiedErrorCause = 255 => "unspecified error cause", Unknown;
        MeFailure = 300 => "ME failure", Unknown;
        SmsServiceReserved = 301 => "SMS service of ME reserved", Modem;
        OperationNotAllowed = 302 => "operation not allowed", Modem;
        OperationNotSupported = 303 => "operation not supported", Modem;
        InvalidPduModeParameter = 304 => "invalid PDU mode parameter", Permanent;
        InvalidTextModeParameter = 305 => "invalid text mode parameter", Permanent;
        SimNotInserted = 310 => "(U)SIM not inserted", Modem;
        SimPinRequired = 311 => "(U)SIM PIN required", Modem;
        PhSimPinRequired = 312 => "PH-(U)SIM PIN required", Modem;
        SimFailure = 313 => "(U)SIM failure", Modem;
        SimBusy = 314 => "(U)SIM busy", Transient;
        SimWrong = 315 => "(U)SIM wrong", Modem;
        SimPukRequired = 316 => "(U)SIM PUK required", Modem;
        SimPin2Required = 317 => "(U)SIM PIN2 required", Modem;
        SimPuk2Required = 318 => "(U)SIM PUK2 required", Modem;
        MemoryFailure = 320 => "memory failure", Modem;
        InvalidMemoryIndex = 321 => "invalid memory index", Permanent;
        MemoryFull = 322 => "memory full", Modem;
        SmscAddressUnknown = 330 => "SMSC address unknown", Modem;
        NoNetworkService = 331 => "no network service", Transient;
        NetworkTimeout = 332 => "network timeout", Transient;
        NoCnmaExpected = 340 => "no +CNMA acknowledgement expected", Unknown;
        UnknownError = 500 => "unknown error", Unknown;
    }
}

impl CmsError {
    fn other_text(code: u16) -> &'static str {
        match code {
            0..=127 => "RP cause (TS 24.011 Annex E.2)",
            128..=255 => "TP failure cause (TS 23.040 §9.2.3.22)",
            256..=511 => "reserved",
            _ => "manufacturer specific",
        }
    }

    fn other_class(_code: u16) -> ErrorClass {
        ErrorClass::Unknown
    }
}

error_codes! {
    /// `+CME ERROR` values from TS 27.007 §9.2.1 (general) and §9.2.2 (GPRS), plus the frequent non-standard
    /// 515 "please wait, init or command processing in progress".
    CmeError {
        PhoneFailure = 0 => "phone failure", Unknown;
        NoConnectionToPhone = 1 => "no connection to phone", Modem;
        PhoneAdaptorLinkReserved = 2 => "phone-adaptor link reserved", Transient;
        OperationNotAllowed = 3 => "operation not allowed", Modem;
        OperationNotSupported = 4 => "operation not supported", Modem;
        PhSimPinRequired = 5 => "PH-SIM PIN required", Modem;
        PhFsimPinRequired = 6 => "PH-FSIM PIN required", Modem;
        PhFsimPukRequired = 7 => "PH-FSIM PUK required", Modem;
        SimNotInserted = 10 => "SIM not inserted", Modem;
        SimPinRequired = 11 => "SIM PIN required", Modem;
        SimPukRequired = 12 => "SIM PUK required", Modem;
        SimFailure = 13 => "SIM failure", Modem;
        SimBusy = 14 => "SIM busy", Transient;
        SimWrong = 15 => "SIM wrong", Modem;
        IncorrectPassword = 16 => "incorrect password", Permanent;
        SimPin2Required = 17 => "SIM PIN2 required", Modem;
        SimPuk2Required = 18 => "SIM PUK2 required", Modem;
        MemoryFull = 20 => "memory full", Modem;
        InvalidIndex = 21 => "invalid index", Permanent;
        NotFound = 22 => "not found", Permanent;
        MemoryFailure = 23 => "memory failure", Modem;
        TextStringTooLong = 24 => "text string too long", Permanent;
        InvalidCharactersInTextString = 25 => "invalid characters in text string", Permanent;
        DialStringTooLong = 26 => "dial string too long", Permanent;
        InvalidCharactersInDialString = 27 => "invalid characters in dial string", Permanent;
        NoNetworkService = 30 => "no network service", Transient;
        NetworkTimeout = 31 => "network timeout", Transient;
        EmergencyCallsOnly = 32 => "network not allowed - emergency calls only", Modem;
        NetworkPersonalizationPinRequired = 40 => "network personalization PIN required", Modem;
        NetworkPersonalizationPukRequired = 41 => "network personalization PUK required", Modem;
        NetworkSubsetPersonalizationPinRequired = 42 => "network subset personalization PIN required", Modem;
        NetworkSubsetPersonalizationPukRequired = 43 => "network subset personalization PUK required", Modem;
        ServiceProviderPersonalizationPinRequired = 44 => "service provider personalization PIN required", Modem;
        ServiceProviderPersonalizationPukRequired = 45 => "service provider personalization PUK required", Modem;
        CorporatePersonalizationPinRequired = 46 => "corporate personalization PIN required", Modem;
        CorporatePersonalizationPukRequired = 47 => "corporate personalization PUK required", Modem;
        HiddenKeyRequired = 48 => "hidden key required", Modem;
        EapMethodNotSupported = 49 => "EAP method not supported", Modem;
        IncorrectParameters = 50 => "incorrect parameters", Permanent;
        CommandDisabled = 51 => "command implemented but currently disabled", Modem;
        CommandAbortedByUser = 52 => "command aborted by user", Unknown;
        NotAttachedFunctionalityRestricted = 53 => "not attached to network due to MT functionality restrictions", Modem;
        EmergencyOnlyFunctionalityRestricted = 54 => "modem not allowed - MT restricted to emergency calls only", Modem;
        OperationNotAllowedFunctionalityRestricted = 55 => "operation not allowed because of MT functionality restrictions", Modem;
        FixedDialNumberOnly = 56 => "fixed dial number only allowed - called number is not a fixed dial number", Permanent;
        TemporarilyOutOfService = 57 => "temporarily out of service due to other MT usage", Transient;
        LanguageNotSupported = 58 => "language/alphabet not supported", Permanent;
        UnexpectedDataValue = 59 => "unexpected data value", Permanent;
        SystemFailure = 60 => "system failure", Unknown;
        DataMissing = 61 => "data missing", Permanent;
        CallBarred = 62 => "call barred", Permanent;
        MessageWaitingIndicationFailed = 63 => "message waiting indication subscription failure", Unknown;
        Unknown = 100 => "unknown", Unknown;
        IllegalMs = 103 => "illegal MS", Modem;
        IllegalMe = 106 => "illegal ME", Modem;
        GprsServicesNotAllowed = 107 => "GPRS services not allowed", Modem;
        GprsAndNonGprsServicesNotAllowed = 108 => "GPRS services and non-GPRS services not allowed", Modem;
        PlmnNotAllowed = 111 => "PLMN not allowed", Modem;
        LocationAreaNotAllowed = 112 => "location area not allowed", Modem;
        RoamingNotAllowed = 113 => "roaming not allowed in this location area", Modem;
        GprsNotAllowedInPlmn = 114 => "GPRS services not allowed in this PLMN", Modem;
        NoSuitableCells = 115 => "no suitable cells in location area", Transient;
        Congestion = 122 => "congestion", Transient;
        InsufficientResources = 125 => "insufficient resources", Transient;
        MissingOrUnknownApn = 126 => "missing or unknown APN", Modem;
        UnknownPdpAddressOrType = 127 => "unknown PDP address or PDP type", Modem;
        UserAuthenticationFailed = 128 => "user authentication failed", Modem;
        ActivationRejectedByGateway = 129 => "activation rejected by GGSN, Serving GW or PDN GW", Modem;
        ActivationRejectedUnspecified = 130 => "activation rejected, unspecified", Unknown;
        ServiceOptionNotSupported = 131 => "service option not supported", Modem;
        ServiceOptionNotSubscribed = 132 => "requested service option not subscribed", Modem;
        ServiceOptionOutOfOrder = 133 => "service option temporarily out of order", Transient;
        UnspecifiedGprsError = 148 => "unspecified GPRS error", Unknown;
        PdpAuthenticationFailure = 149 => "PDP authentication failure", Modem;
        InvalidMobileClass = 150 => "invalid mobile class", Modem;
        /// Non-standard but frequent (Huawei, Wavecom, Qualcomm): retry after a short pause.
        PleaseWait = 515 => "please wait, init or command processing in progress", Transient;
    }
}

impl CmeError {
    fn other_text(code: u16) -> &'static str {
        match code {
            0..=511 => "reserved or not in the 27.007 table",
            _ => "manufacturer specific",
        }
    }

    fn other_class(_code: u16) -> ErrorClass {
        ErrorClass::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_verbose_cms_forms_parse_to_the_same_variant() {
        assert_eq!(CmsError::parse("314"), CmsError::SimBusy);
        assert_eq!(CmsError::parse("SIM busy"), CmsError::SimBusy);
        assert_eq!(CmsError::parse("(U)SIM busy"), CmsError::SimBusy);
        assert_eq!(
            CmsError::parse(" \"SMSC address unknown\" "),
            CmsError::SmscAddressUnknown
        );
    }

    #[test]
    fn numeric_and_verbose_cme_forms_parse_to_the_same_variant() {
        assert_eq!(CmeError::parse("14"), CmeError::SimBusy);
        assert_eq!(CmeError::parse("SIM busy"), CmeError::SimBusy);
        assert_eq!(
            CmeError::parse("sim pin required"),
            CmeError::SimPinRequired
        );
        assert_eq!(CmeError::parse("515"), CmeError::PleaseWait);
    }

    #[test]
    fn unknown_codes_and_texts_are_preserved() {
        assert_eq!(CmsError::parse("535"), CmsError::Other(535));
        assert_eq!(CmsError::Other(535).code(), Some(535));
        assert_eq!(
            CmeError::parse("frobnicated"),
            CmeError::Text("frobnicated".into())
        );
        assert_eq!(CmeError::parse(""), CmeError::Unspecified);
        assert_eq!(CmsError::parse("  "), CmsError::Unspecified);
    }

    #[test]
    fn transient_cms_codes_are_retryable() {
        for code in [38, 41, 42, 47, 331, 332, 314] {
            let err = CmsError::from_code(code);
            assert!(err.is_retryable(), "{code} {err}");
            assert!(!err.is_permanent(), "{code}");
        }
    }

    #[test]
    fn transient_cme_codes_are_retryable() {
        for code in [14, 515, 31] {
            assert!(CmeError::from_code(code).is_retryable(), "{code}");
        }
    }

    #[test]
    fn wrong_pdu_codes_are_permanent() {
        assert!(CmsError::from_code(304).is_permanent());
        assert!(CmsError::from_code(305).is_permanent());
        assert!(!CmsError::from_code(304).is_retryable());
    }

    #[test]
    fn sim_and_smsc_problems_are_modem_faults() {
        for code in [310, 311, 330] {
            assert_eq!(
                CmsError::from_code(code).class(),
                ErrorClass::Modem,
                "{code}"
            );
        }
        assert_eq!(CmsError::from_code(500).class(), ErrorClass::Unknown);
        assert_eq!(CmsError::from_code(500).text(), "unknown error");
    }

    #[test]
    fn every_table_entry_round_trips_through_code_and_text() {
        for (variant, code, text, _) in CmsError::TABLE {
            assert_eq!(&CmsError::from_code(*code), variant);
            assert_eq!(variant.code(), Some(*code));
            assert_eq!(&CmsError::from_text(text), variant, "{text}");
        }
        for (variant, code, text, _) in CmeError::TABLE {
            assert_eq!(&CmeError::from_code(*code), variant);
            assert_eq!(&CmeError::from_text(text), variant, "{text}");
        }
    }

    #[test]
    fn display_names_meaning_and_code() {
        assert_eq!(
            CmsError::from_code(330).to_string(),
            "SMSC address unknown (330)"
        );
        assert_eq!(
            CmeError::Other(999).to_string(),
            "manufacturer specific (999)"
        );
    }
}
