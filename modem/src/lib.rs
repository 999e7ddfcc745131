//! Modem API: typed AT commands, vendor quirk profiles and the async Modem (probe, SIM, registration, signal, SMS send/receive/status reports, USSD).
