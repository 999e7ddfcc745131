//! Hardware: modem power/reset over embedded-hal 1.0, and the simulated GSM lab (network, SMSC, modems on pseudo-terminals, Dinstar gateway).
