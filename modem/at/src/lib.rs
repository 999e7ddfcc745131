//! AT command engine: I/O-free digester (bytes to responses, prompts and URCs), CMS/CME error codes, and the async engine over any AsyncRead + AsyncWrite (serial, TCP, Dinstar AT mode).
